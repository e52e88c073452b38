"""The SDK's get_prompt(unit_id=...) serves the unit's variant, assigned locally exactly
as the server assigns, and the generations it logs record the experiment."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from promptyard.client import Client
from promptyard.client._experiments import bucket as client_bucket
from promptyard.client._experiments import choose as client_choose
from promptyard.domain.experiments import assign, bucket, choose
from promptyard.services.context import Core
from promptyard.store.models import SqlGeneration
from tests._server import LiveServer
from tests.conftest import API_KEY
from tests.experiments._helpers import EXPERIMENTS, running_experiment


def test_the_sdk_assigns_exactly_as_the_server() -> None:
    for i in range(2000):
        unit = f"unit-{i}"
        assert client_bucket(17, unit) == bucket(17, unit)
    for weights in ([1, 1], [9, 1], [1, 2, 3], [0, 1], [5, 0, 5]):
        for i in range(300):
            position = bucket(3, f"u{i}")
            assert client_choose(weights, position) == choose(weights, position)


def test_get_prompt_serves_the_variant_and_the_generation_records_it(
    app_client: TestClient, core: Core, live_server: LiveServer
) -> None:
    experiment = running_experiment(app_client)
    with Client(live_server.url, API_KEY) as sdk:
        seen = set()
        for i in range(40):
            unit = f"user-{i}"
            prompt = sdk.get_prompt("greeting", unit_id=unit)
            variant = ["control", "friendly"][assign(experiment["id"], unit, [1, 1])]
            assert prompt.variant == variant and prompt.experiment_id == experiment["id"]
            assert prompt.version == (1 if variant == "control" else 2)
            assert sdk.get_prompt("greeting", unit_id=unit).variant == variant  # sticky
            sdk.log_generation(id=f"sdk-{i}", prompt=prompt, user_id=unit, model="gpt-4o-mini")
            seen.add(variant)
        assert seen == {"control", "friendly"}
        plain = sdk.get_prompt("greeting")
        assert plain.version == 1 and plain.variant is None
        assert sdk.flush()
        # the REST answer and the SDK's local assignment agree
        rest = sdk.get_prompt_details("greeting", label="production")
        assert rest["version"]["number"] == 1
    with core.store.read() as session:
        rows = session.execute(
            select(SqlGeneration.id, SqlGeneration.experiment_id, SqlGeneration.variant).where(
                SqlGeneration.id.like("sdk-%")
            )
        ).all()
    assert len(rows) == 40
    for gid, experiment_id, variant in rows:
        unit = f"user-{gid.split('-')[1]}"
        assert experiment_id == experiment["id"]
        assert variant == ["control", "friendly"][assign(experiment["id"], unit, [1, 1])]
    # stopped: the SDK serves the control once its short cache of experiments expires
    app_client.post(f"{EXPERIMENTS}/{experiment['id']}/stop")
    with Client(live_server.url, API_KEY) as fresh:
        for i in range(10):
            prompt = fresh.get_prompt("greeting", unit_id=f"user-{i}")
            assert prompt.version == 1 and prompt.variant is None
