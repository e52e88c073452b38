"""The demo's agent runs: traces with trees, through OTLP ingest."""

from __future__ import annotations

from fastapi.testclient import TestClient

from promptyard.services.context import Core
from promptyard.services.telemetry.otlp.demo import seed_traces
from tests._factories import project_id
from tests.api._helpers import API, ok


def test_the_demo_seeds_trees(core: Core, app_client: TestClient) -> None:
    stored = seed_traces(core, project_id(core), [("support-reply", 3)], now=core.clock(), count=5)
    assert stored > 10
    listed = ok(app_client.get(f"{API}/traces"))["items"]
    assert len(listed) == 5
    assert {t["root_name"] for t in listed} == {"agent.turn"}
    trace = ok(app_client.get(f"{API}/traces/{listed[0]['trace_id']}"))
    root = trace["nodes"][0]
    assert root["name"] == "agent.turn" and root["depth"] == 0
    assert all(n["depth"] == 1 for n in trace["nodes"][1:])
    assert trace["generation_count"] >= 1 and trace["cost"] is not None
    # seeding again stores nothing twice (same seed, same ids)
    seed_traces(core, project_id(core), [("support-reply", 3)], now=core.clock(), count=5)
    assert len(ok(app_client.get(f"{API}/traces"))["items"]) == 5
