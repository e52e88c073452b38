"""OTLP/HTTP trace ingest over the API: protobuf and JSON, gzip, the span to generation
mapping of each vocabulary, partial success, duplicates, malformed bodies, permissions."""

from __future__ import annotations

import gzip
import json
from typing import Any

from fastapi.testclient import TestClient
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from promptyard.services.context import Core
from tests.api._helpers import API, ok
from tests.telemetry._otlp import (
    LANGFUSE_TRACES,
    PROTOBUF,
    TRACES,
    llm_attributes,
    new_span_id,
    new_trace_id,
    request,
    span,
)


def _agent_run() -> tuple[bytes, list[Any]]:
    trace_id = new_trace_id()
    root, tool, llm = new_span_id(), new_span_id(), new_span_id()
    spans = [
        span(trace_id=trace_id, span_id=root, name="agent.run", duration_ms=900),
        span(
            trace_id=trace_id,
            span_id=tool,
            parent=root,
            name="tool.search",
            duration_ms=200,
            attributes={"tool.name": "search"},
        ),
        span(
            trace_id=trace_id,
            span_id=llm,
            parent=root,
            name="openai.chat",
            duration_ms=500,
            attributes={
                **llm_attributes(),
                "promptyard.prompt.name": "greeting",
                "promptyard.prompt.version": 2,
                "user.id": "user-7",
                "session.id": "sess-1",
            },
        ),
    ]
    return trace_id, spans


def _export(client: TestClient, body: bytes, path: str = TRACES, **headers: str) -> Any:
    return client.post(path, content=body, headers={**PROTOBUF, **headers})


def test_protobuf_export_stores_a_tree(app_client: TestClient) -> None:
    trace_id, spans = _agent_run()
    response = _export(app_client, request(spans).SerializeToString())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-protobuf"
    parsed = ExportTraceServiceResponse.FromString(response.content)
    assert parsed.partial_success.rejected_spans == 0

    hex_id = trace_id.hex()
    trace = ok(app_client.get(f"{API}/traces/{hex_id}"))
    assert trace["span_count"] == 2
    assert trace["generation_count"] == 1
    assert trace["input_tokens"] == 120 and trace["output_tokens"] == 30
    assert trace["cost"] is not None and trace["cost"] > 0
    nodes = {n["name"]: n for n in trace["nodes"]}
    root = nodes["agent.run"]
    assert root["depth"] == 0 and root["parent_id"] is None
    assert len(root["children"]) == 2
    generation = nodes["openai.chat"]
    assert generation["type"] == "generation"
    assert generation["depth"] == 1
    assert generation["model"] == "gpt-4o-mini"
    assert generation["prompt"]["name"] == "greeting" and generation["prompt"]["version"] == 2
    assert abs(generation["duration_ms"] - 500) < 1

    gens = ok(app_client.get(f"{API}/generations", params={"trace_id": hex_id}))["items"]
    assert len(gens) == 1
    gen = ok(app_client.get(f"{API}/generations/{gens[0]['id']}"))
    assert gen["source"] == "otlp"
    assert gen["user_id"] == "user-7" and gen["session_id"] == "sess-1"
    assert gen["input"] == [{"role": "user", "content": "Hi"}]
    assert gen["output"] == "Hello!"
    assert gen["parent_span_id"] == root["id"]

    listed = ok(app_client.get(f"{API}/traces"))["items"]
    assert listed[0]["trace_id"] == hex_id
    assert listed[0]["root_name"] == "agent.run"
    assert listed[0]["span_count"] == 2 and listed[0]["generation_count"] == 1
    assert abs(listed[0]["duration_ms"] - 900) < 1


def test_json_and_gzip_exports(app_client: TestClient) -> None:
    trace_id, spans = _agent_run()
    document = json_format.MessageToDict(request(spans))
    # OTLP JSON: ids in hex (protobuf's own JSON mapping would write base64)
    for resource_spans in document["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for item in scope_spans["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in item:
                        item[key] = json_format.base64.b64decode(item[key]).hex()
    body = gzip.compress(json.dumps(document).encode())
    response = app_client.post(
        TRACES,
        content=body,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {}
    trace = ok(app_client.get(f"{API}/traces/{trace_id.hex()}"))
    assert trace["span_count"] == 2 and trace["generation_count"] == 1

    other_id, other = _agent_run()
    gz = gzip.compress(request(other).SerializeToString())
    response = _export(app_client, gz, LANGFUSE_TRACES, **{"Content-Encoding": "gzip"})
    assert response.status_code == 200, response.text
    assert ok(app_client.get(f"{API}/traces/{other_id.hex()}"))["generation_count"] == 1


def test_duplicates_are_not_stored_twice(app_client: TestClient, core: Core) -> None:
    trace_id, spans = _agent_run()
    body = request(spans).SerializeToString()
    for _ in range(3):
        assert _export(app_client, body).status_code == 200
    trace = ok(app_client.get(f"{API}/traces/{trace_id.hex()}"))
    assert trace["span_count"] == 2 and trace["generation_count"] == 1
    assert trace["input_tokens"] == 120


def test_partial_success_names_rejected_spans(app_client: TestClient) -> None:
    trace_id = new_trace_id()
    good = span(trace_id=trace_id, name="good")
    no_span_id = span(trace_id=trace_id, span_id=b"", name="no id")
    backwards = span(trace_id=trace_id, name="backwards")
    backwards.end_time_unix_nano = backwards.start_time_unix_nano - 1
    absurd = span(trace_id=trace_id, name="absurd", attributes=llm_attributes(input_tokens=10**12))
    body = request([good, no_span_id, backwards, absurd]).SerializeToString()
    response = _export(app_client, body)
    assert response.status_code == 200
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert partial.rejected_spans == 3
    assert "span_id" in partial.error_message
    assert "before start" in partial.error_message
    assert "absurd input token count" in partial.error_message
    trace = ok(app_client.get(f"{API}/traces/{trace_id.hex()}"))
    assert [n["name"] for n in trace["nodes"]] == ["good"]


def test_malformed_payloads_are_400(app_client: TestClient) -> None:
    response = _export(app_client, b"\xff\xff\xff not protobuf")
    assert response.status_code == 400
    assert "protobuf" in response.json()["error"]["message"]
    response = app_client.post(
        TRACES, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "not JSON" in response.json()["error"]["message"]
    response = app_client.post(
        TRACES,
        content=b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "traceId" in response.json()["error"]["message"]
    response = _export(app_client, b"not gzip", **{"Content-Encoding": "gzip"})
    assert response.status_code == 400
    response = app_client.post(TRACES, content=b"x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_zip_bomb_is_413(app_client: TestClient, core: Core) -> None:
    core.settings.otlp_max_unpacked_bytes = 1_000_000
    bomb = gzip.compress(b"\x00" * 50_000_000)
    assert len(bomb) < 100_000
    response = _export(app_client, bomb, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert "PROMPTYARD_OTLP_MAX_UNPACKED_BYTES" in response.json()["error"]["message"]


def test_ingest_needs_credentials(anon_client: TestClient) -> None:
    _, spans = _agent_run()
    response = _export(anon_client, request(spans).SerializeToString())
    assert response.status_code == 401


def test_openinference_and_langfuse_vocabularies(app_client: TestClient) -> None:
    trace_id = new_trace_id()
    openinference = span(
        trace_id=trace_id,
        name="ChatCompletion",
        attributes={
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o",
            "llm.provider": "openai",
            "llm.token_count.prompt": 40,
            "llm.token_count.completion": 8,
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.0.message.content": "Be brief.",
            "llm.input_messages.1.message.role": "user",
            "llm.input_messages.1.message.content": "Hi",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "Hello.",
            "llm.prompt_template.name": "brief",
            "llm.prompt_template.version": "v4",
        },
    )
    retriever = span(
        trace_id=trace_id,
        name="retrieve",
        attributes={"openinference.span.kind": "RETRIEVER", "input.value": "x" * 10_000},
    )
    langfuse = span(
        trace_id=trace_id,
        name="lf-generation",
        attributes={
            "langfuse.observation.type": "generation",
            "langfuse.observation.model.name": "claude-sonnet-4-20250514",
            "langfuse.observation.usage_details": '{"input": 30, "output": 5}',
            "langfuse.observation.cost_details": '{"input": 0.01, "output": 0.02}',
            "langfuse.observation.input": '"Summarise this"',
            "langfuse.observation.output": '{"role": "assistant", "content": "Done."}',
            "langfuse.observation.prompt.name": "summary",
            "langfuse.observation.prompt.version": 1,
            "langfuse.observation.level": "ERROR",
            "langfuse.observation.status_message": "rate limited",
            "langfuse.user.id": "u-1",
            "langfuse.environment": "prod",
        },
    )
    response = _export(
        app_client, request([openinference, retriever, langfuse]).SerializeToString()
    )
    assert response.status_code == 200
    gens = {
        g["id"]: g
        for g in ok(app_client.get(f"{API}/generations", params={"trace_id": trace_id.hex()}))[
            "items"
        ]
    }
    oi = gens[openinference.span_id.hex()]
    assert oi["model"] == "gpt-4o" and oi["provider"] == "openai"
    assert oi["usage"]["input_tokens"] == 40 and oi["usage"]["output_tokens"] == 8
    assert oi["prompt"]["name"] == "brief" and oi["prompt"]["version"] == 4
    detail = ok(app_client.get(f"{API}/generations/{oi['id']}"))
    assert detail["input"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    assert detail["output"] == "Hello."

    lf = gens[langfuse.span_id.hex()]
    assert lf["status"] == "error" and lf["error"] == "rate limited"
    assert lf["cost"]["total"] == 0.03 and lf["cost"]["source"] == "reported"
    assert lf["user_id"] == "u-1" and lf["environment"] == "prod"
    detail = ok(app_client.get(f"{API}/generations/{lf['id']}"))
    assert detail["input"] == "Summarise this" and detail["output"] == "Done."

    trace = ok(app_client.get(f"{API}/traces/{trace_id.hex()}"))
    plain = next(n for n in trace["nodes"] if n["type"] == "span")
    assert plain["name"] == "retrieve"
    assert "attributes_truncated" in plain["flags"]
    assert len(plain["attributes"]["input.value"]) == 4000


def test_another_workspace_cannot_read_traces(app_client: TestClient, core: Core) -> None:
    from tests.security._setup import other_workspace

    trace_id, spans = _agent_run()
    assert _export(app_client, request(spans).SerializeToString()).status_code == 200
    token = other_workspace(core)
    foreign = {"Authorization": f"Bearer {token}"}
    response = app_client.get(f"{API}/traces/{trace_id.hex()}", headers=foreign)
    assert response.status_code == 404
    response = app_client.get(
        f"{API}/traces/{trace_id.hex()}", params={"project": "other"}, headers=foreign
    )
    assert response.status_code == 404
    assert (
        ok(app_client.get(f"{API}/traces", params={"project": "other"}, headers=foreign))["items"]
        == []
    )


def test_busy_ingest_answers_503_with_retry_after(app_client: TestClient) -> None:
    from promptyard.server.api.v1.telemetry.traces import IngestGate

    gate = IngestGate(workers=1, queue=0)
    gate.pending = 1  # one export in progress fills it
    app_client.app.state.otlp_gate = gate  # type: ignore[attr-defined]
    trace_id, spans = _agent_run()
    response = _export(app_client, request(spans).SerializeToString())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert ok(app_client.get(f"{API}/traces/{trace_id.hex()}"), 404)
    gate.pending = 0
    assert _export(app_client, request(spans).SerializeToString()).status_code == 200


def test_trace_list_pages_newest_first(app_client: TestClient) -> None:
    import time

    base = time.time_ns() - 60_000_000_000
    ids = []
    for index in range(5):
        trace_id = new_trace_id()
        ids.append(trace_id.hex())
        body = request([span(trace_id=trace_id, name=f"t{index}", start_ns=base + index * 10**9)])
        assert _export(app_client, body.SerializeToString()).status_code == 200
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = ok(app_client.get(f"{API}/traces", params=params))
        seen += [item["trace_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert app_client.get(f"{API}/traces", params={"cursor": "nonsense!"}).status_code == 422


def test_nul_characters_and_odd_values_are_stored_safely(app_client: TestClient) -> None:
    trace_id = new_trace_id()
    plain = span(
        trace_id=trace_id,
        name="step\x00one",
        attributes={"key\x00x": "va\x00lue", "big": 2**62, "flag": True, "list": ["a", "b\x00"]},
        error="bad\x00thing",
    )
    plain.end_time_unix_nano = 0  # never ended
    llm = span(
        trace_id=trace_id,
        name="llm",
        attributes={
            **llm_attributes(),
            "gen_ai.input.messages": '[{"role": "user", "content": "a\\u0000b"}]',
            "gen_ai.output.messages": '[{"role": "assistant", "content": "c\\u0000d"}]',
        },
    )
    response = _export(app_client, request([plain, llm]).SerializeToString())
    assert response.status_code == 200, response.text
    trace = ok(app_client.get(f"{API}/traces/{trace_id.hex()}"))
    node = next(n for n in trace["nodes"] if n["type"] == "span")
    assert "\x00" not in node["name"] and node["status"] == "error"
    assert "no_end_time" in node["flags"] and node["duration_ms"] is None
    assert node["attributes"]["big"] == 2**62
    gen = ok(app_client.get(f"{API}/generations/{llm.span_id.hex()}"))
    assert "\x00" not in gen["output"]
