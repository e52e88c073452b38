"""The trace list reads per-trace summaries kept at ingest: a trace sent in pieces (its
child spans first, its root later, a generation through the batch API) sums up like its
tree; repeated spans and generations are counted once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.api._helpers import API, ok
from tests.telemetry._otlp import (
    PROTOBUF,
    TRACES,
    llm_attributes,
    new_span_id,
    new_trace_id,
    request,
    span,
)


def _export(client: TestClient, spans: list[Any]) -> None:
    body = request(spans).SerializeToString()
    response = client.post(TRACES, content=body, headers=PROTOBUF)
    assert response.status_code == 200, response.text


def _listed(client: TestClient, trace_id: str, **params: Any) -> dict[str, Any]:
    items = ok(client.get(f"{API}/traces", params={"limit": 200, **params}))["items"]
    [found] = [item for item in items if item["trace_id"] == trace_id]
    return found


def test_a_trace_sent_in_pieces_sums_up_like_its_tree(app_client: TestClient) -> None:
    trace_id = new_trace_id()
    hex_id = trace_id.hex()
    root, llm = new_span_id(), new_span_id()
    start = time.time_ns() - 30_000_000_000
    tool = span(
        trace_id=trace_id,
        parent=root,
        name="tool.search",
        start_ns=start + 100_000_000,
        duration_ms=200,
        error="timeout",
    )
    generation = span(
        trace_id=trace_id,
        span_id=llm,
        parent=root,
        name="openai.chat",
        start_ns=start + 400_000_000,
        duration_ms=500,
        attributes={**llm_attributes(), "user.id": "user-9", "session.id": "sess-9"},
    )
    # the children first: the earliest of them names the trace until the root arrives
    _export(app_client, [tool, generation])
    first = _listed(app_client, hex_id)
    assert first["root_name"] == "tool.search"
    assert first["span_count"] == 1 and first["generation_count"] == 1 and first["error_count"] == 1
    # the root later; every piece sent again (an exporter's retry) counts once
    agent = span(
        trace_id=trace_id, span_id=root, name="agent.run", start_ns=start, duration_ms=2000
    )
    _export(app_client, [agent])
    _export(app_client, [tool, generation, agent])
    # one more generation of the trace through the batch API, sent twice
    at = datetime.fromtimestamp(start / 1e9, tz=UTC) + timedelta(milliseconds=2500)
    item = {
        "id": "late-generation",
        "trace_id": hex_id,
        "parent_span_id": root.hex(),
        "provider": "openai",
        "model": "gpt-4o",
        "input_tokens": 10,
        "output_tokens": 5,
        "latency_ms": 300.0,
        "start_time": at.isoformat(),
    }
    for _ in range(2):
        assert (
            app_client.post(f"{API}/generations/batch", json={"generations": [item]}).status_code
            == 200
        )

    listed = _listed(app_client, hex_id)
    tree = ok(app_client.get(f"{API}/traces/{hex_id}"))
    assert listed["root_name"] == "agent.run"
    for name in ("span_count", "generation_count", "error_count", "input_tokens", "output_tokens"):
        assert listed[name] == tree[name], name
    assert listed["span_count"] == 2 and listed["generation_count"] == 2
    assert listed["error_count"] == 1
    assert listed["input_tokens"] == 120 + 10 and listed["output_tokens"] == 30 + 5
    assert listed["cost"] is not None and abs(listed["cost"] - tree["cost"]) < 1e-9
    assert listed["start_time"] == tree["start_time"]
    # the late generation ends last: 2.5 s + 300 ms after the root's start
    assert abs(listed["duration_ms"] - 2800) < 1
    assert listed["user_id"] == "user-9" and listed["session_id"] == "sess-9"
    assert _listed(app_client, hex_id, user="user-9")["trace_id"] == hex_id
    assert _listed(app_client, hex_id, session="sess-9")["trace_id"] == hex_id
    others = ok(app_client.get(f"{API}/traces", params={"user": "someone-else"}))["items"]
    assert hex_id not in [other["trace_id"] for other in others]
