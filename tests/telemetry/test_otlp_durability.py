"""Acknowledged means durable for OTLP too: SIGKILL a real ``promptyard serve`` while two
exporters send trace batches; after a restart every acknowledged span and generation is
there, once, and resending an in-flight batch stores nothing twice."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tests._server import running_server
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

HALF = 50  # plain spans and LLM spans per batch (one trace per batch)


def _batch() -> tuple[str, bytes]:
    trace_id = new_trace_id()
    root = new_span_id()
    spans: list[Any] = [span(trace_id=trace_id, span_id=root, name="run")]
    spans += [span(trace_id=trace_id, parent=root, name=f"step {i}") for i in range(HALF - 1)]
    spans += [
        span(trace_id=trace_id, parent=root, name="llm", attributes=llm_attributes())
        for _ in range(HALF)
    ]
    return trace_id.hex(), request(spans).SerializeToString()


def test_acknowledged_spans_survive_sigkill(fresh_db_url: str, tmp_path: Path) -> None:
    api_key = "py_test_otlp_kill_0123456789"
    headers = {"Authorization": f"Bearer {api_key}"}
    acknowledged: list[str] = []
    in_flight: dict[int, tuple[str, bytes]] = {}
    enough = threading.Event()

    with running_server(tmp_path, database_url=fresh_db_url, api_key=api_key) as server:

        def sender(number: int) -> None:
            with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
                for _ in range(100_000):
                    trace_id, body = in_flight[number] = _batch()
                    try:
                        response = client.post(TRACES, content=body, headers=PROTOBUF)
                    except httpx.HTTPError:
                        return  # the server died with this batch in flight
                    assert response.status_code == 200, response.text
                    parsed = ExportTraceServiceResponse.FromString(response.content)
                    assert parsed.partial_success.rejected_spans == 0
                    acknowledged.append(trace_id)
                    del in_flight[number]
                    if len(acknowledged) >= 30:
                        enough.set()

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        assert enough.wait(timeout=120), "the senders never got 30 batches acknowledged"
        server.kill()
        for thread in threads:
            thread.join(timeout=30)

    with (
        running_server(tmp_path, database_url=fresh_db_url, api_key=api_key) as server,
        httpx.Client(base_url=server.url, headers=headers, timeout=30) as client,
    ):
        for trace_id in acknowledged:
            trace = ok(client.get(f"{API}/traces/{trace_id}"))
            assert (trace["span_count"], trace["generation_count"]) == (HALF, HALF), trace_id
        # Resending what was in flight (as an exporter retries) stores each span once.
        for trace_id, body in list(in_flight.values()):
            for _ in range(2):
                assert client.post(TRACES, content=body, headers=PROTOBUF).status_code == 200
            trace = ok(client.get(f"{API}/traces/{trace_id}"))
            assert (trace["span_count"], trace["generation_count"]) == (HALF, HALF)
