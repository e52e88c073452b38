"""A generation read back says which online experiment and variant served it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.experiments._helpers import API, running_experiment


def test_generation_public_has_experiment_and_variant(app_client: TestClient) -> None:
    experiment = running_experiment(app_client)
    batch = [
        {"id": "served", "experiment_id": experiment["id"], "variant": "friendly"},
        {"id": "plain"},
    ]
    r = app_client.post(f"{API}/generations/batch", json={"generations": batch})
    assert r.status_code == 200, r.text
    served = app_client.get(f"{API}/generations/served").json()
    assert (served["experiment_id"], served["variant"]) == (experiment["id"], "friendly")
    plain = app_client.get(f"{API}/generations/plain").json()
    assert (plain["experiment_id"], plain["variant"]) == (None, None)
