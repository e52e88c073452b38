"""The HTTP API: CRUD with current spend, hostile input answered 4xx, and another
workspace that can neither see nor acknowledge this one's alerts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from promptyard.services.alerts import incidents
from promptyard.services.context import Core
from tests._factories import admin_context, project_id
from tests.security._setup import other_workspace, role_keys


def _fire(core: Core) -> int:
    with core.store.write() as session:
        alert = incidents.open_incident(
            core,
            session,
            workspace_id=admin_context(core).actor.workspace_id,
            project_id=project_id(core),
            dedup_key="rule:api",
            kind="cost",
            title="cost over 10 USD",
            value=12.0,
            threshold=10.0,
            details={},
        )
        return alert.id


def test_budget_crud_answers_spend_and_state(app_client: TestClient) -> None:
    created = app_client.post(
        "/api/v1/budgets",
        json={"name": "monthly", "project": "default", "amount": 500, "period": "month"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["thresholds"] == [50, 80, 100] and body["forecast"] is True
    assert (body["spend"], body["state"], body["currency"]) == (0.0, "ok", "USD")
    budget_id = body["id"]
    patched = app_client.patch(f"/api/v1/budgets/{budget_id}", json={"amount": 750})
    assert patched.status_code == 200 and patched.json()["amount"] == 750
    assert [b["id"] for b in app_client.get("/api/v1/budgets").json()["items"]] == [budget_id]
    assert app_client.delete(f"/api/v1/budgets/{budget_id}").status_code == 204
    assert app_client.get(f"/api/v1/budgets/{budget_id}").status_code == 404


def test_rule_crud(app_client: TestClient) -> None:
    created = app_client.post(
        "/api/v1/alert-rules",
        json={"name": "slow", "kind": "latency_p95", "threshold": 2000, "prompt": "greeting"},
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["comparison"] == "gt" and rule["prompt"] == "greeting" and not rule["firing"]
    patched = app_client.patch(
        f"/api/v1/alert-rules/{rule['id']}", json={"threshold": 2500, "prompt": None}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["threshold"] == 2500 and patched.json()["prompt"] is None
    bad = app_client.patch(f"/api/v1/alert-rules/{rule['id']}", json={"baseline": "fixed"})
    assert bad.status_code == 422
    listed = app_client.get("/api/v1/alert-rules", params={"project": "default"}).json()
    assert [r["id"] for r in listed["items"]] == [rule["id"]]
    assert app_client.delete(f"/api/v1/alert-rules/{rule['id']}").status_code == 204


def test_hostile_input_is_refused(app_client: TestClient) -> None:
    for path, body in (
        ("/api/v1/budgets", {"name": "b", "project": "default", "amount": -1}),
        ("/api/v1/budgets", {"name": "b", "project": "default", "amount": 1e300}),
        ("/api/v1/budgets", {"name": "b", "project": "default", "amount": 1, "thresholds": [-5]}),
        ("/api/v1/budgets", {"name": "b", "project": "nope", "amount": 1}),
        ("/api/v1/budgets", {"name": "b", "project": "default", "amount": 1, "channel_ids": [9]}),
        ("/api/v1/alert-rules", {"name": "r", "kind": "cost", "threshold": 1e308}),
        ("/api/v1/alert-rules", {"name": "r", "kind": "error_rate", "threshold": 5}),
        ("/api/v1/alert-rules", {"name": "r", "kind": "nope", "threshold": 1}),
        (
            "/api/v1/alert-rules",
            {"name": "r", "kind": "cost", "threshold": 1, "window_minutes": 10**9},
        ),
        ("/api/v1/alert-channels", {"name": "c", "kind": "slack", "url": "http://127.0.0.1/x"}),
        ("/api/v1/alert-channels", {"name": "c", "kind": "slack", "url": "javascript:alert(1)"}),
        (
            "/api/v1/alert-channels",
            {"name": "c", "kind": "slack", "url": "http://169.254.169.254/"},
        ),
        ("/api/v1/alert-channels", {"name": "c", "kind": "email", "to": ["not an address"]}),
        ("/api/v1/alert-channels", {"name": "c", "kind": "email", "to": ["a@example.com"]}),
    ):
        answer = app_client.post(path, json=body)
        assert 400 <= answer.status_code < 500, (path, body, answer.status_code, answer.text)
        assert set(answer.json()["error"]) >= {"code", "message"}
    assert app_client.post("/api/v1/alerts/1/silence", json={"until": "soon"}).status_code == 422
    assert app_client.get("/api/v1/alerts", params={"state": "weird"}).status_code == 422


def test_acknowledge_silence_and_other_workspaces(core: Core, app_client: TestClient) -> None:
    alert_id = _fire(core)
    other = {"Authorization": f"Bearer {other_workspace(core)}"}
    assert app_client.get("/api/v1/alerts", headers=other).json()["items"] == []
    assert app_client.get(f"/api/v1/alerts/{alert_id}", headers=other).status_code == 404
    refused = app_client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=other)
    assert refused.status_code == 404

    listed = app_client.get("/api/v1/alerts", params={"state": "open"}).json()
    assert listed["firing"] == 1 and listed["items"][0]["id"] == alert_id
    acked = app_client.post(f"/api/v1/alerts/{alert_id}/acknowledge")
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
    silenced = app_client.post(
        f"/api/v1/alerts/{alert_id}/silence", json={"until": "2999-01-01T00:00:00Z"}
    )
    assert silenced.status_code == 422  # more than 90 days ahead
    until = (core.clock().replace(microsecond=0)).isoformat().replace("+00:00", "Z")
    assert (
        app_client.post(f"/api/v1/alerts/{alert_id}/silence", json={"until": until}).status_code
        == 422
    )  # not in the future
    both = {"minutes": 60, "until": "2030-01-01T00:00:00Z"}
    assert app_client.post(f"/api/v1/alerts/{alert_id}/silence", json=both).status_code == 422
    too_long = {"minutes": 91 * 24 * 60}
    assert app_client.post(f"/api/v1/alerts/{alert_id}/silence", json=too_long).status_code == 422
    held = app_client.post(f"/api/v1/alerts/{alert_id}/silence", json={"minutes": 60})
    assert held.status_code == 200 and held.json()["silenced"] is True
    assert app_client.delete(f"/api/v1/alerts/{alert_id}/silence").json()["silenced"] is False


def test_roles(core: Core, app_client: TestClient) -> None:
    keys = role_keys(core)
    alert_id = _fire(core)
    viewer = {"Authorization": f"Bearer {keys['viewer']}"}
    editor = {"Authorization": f"Bearer {keys['editor']}"}
    assert app_client.get("/api/v1/budgets", headers=viewer).status_code == 200
    assert (
        app_client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=viewer).status_code == 403
    )
    assert (
        app_client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=editor).status_code == 200
    )
    refused = app_client.post(
        "/api/v1/budgets", headers=editor, json={"name": "b", "project": "default", "amount": 1}
    )
    assert refused.status_code == 403
