"""Building OTLP trace export requests for the tests (the protobuf classes of
opentelemetry-proto, as an exporter fills them)."""

from __future__ import annotations

import os
import time
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

TRACES = "/v1/traces"
LANGFUSE_TRACES = "/api/public/otel/v1/traces"
PROTOBUF = {"Content-Type": "application/x-protobuf"}


def new_trace_id() -> bytes:
    return os.urandom(16)


def new_span_id() -> bytes:
    return os.urandom(8)


def any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        result = AnyValue()
        result.array_value.values.extend(any_value(v) for v in value)
        return result
    return AnyValue(string_value=str(value))


def span(
    *,
    trace_id: bytes,
    span_id: bytes | None = None,
    parent: bytes | None = None,
    name: str = "step",
    start_ns: int | None = None,
    duration_ms: float = 100.0,
    attributes: dict[str, Any] | None = None,
    error: str | None = None,
) -> Span:
    start = start_ns if start_ns is not None else time.time_ns() - 10_000_000_000
    result = Span(
        trace_id=trace_id,
        span_id=span_id if span_id is not None else new_span_id(),
        parent_span_id=parent or b"",
        name=name,
        kind=Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(duration_ms * 1_000_000),
    )
    for key, value in (attributes or {}).items():
        result.attributes.append(KeyValue(key=key, value=any_value(value)))
    if error is not None:
        result.status.code = Status.STATUS_CODE_ERROR
        result.status.message = error
    return result


def request(spans: list[Span], *, service: str = "test-app") -> ExportTraceServiceRequest:
    export = ExportTraceServiceRequest()
    resource_spans = export.resource_spans.add()
    resource_spans.resource.attributes.append(
        KeyValue(key="service.name", value=AnyValue(string_value=service))
    )
    resource_spans.scope_spans.add().spans.extend(spans)
    return export


def llm_attributes(
    model: str = "gpt-4o-mini", input_tokens: int = 120, output_tokens: int = 30
) -> dict[str, Any]:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.response.model": model,
        "gen_ai.usage.input_tokens": input_tokens,
        "gen_ai.usage.output_tokens": output_tokens,
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]',
        "gen_ai.output.messages": '[{"role": "assistant", "parts": [{"type": "text", '
        '"content": "Hello!"}]}]',
    }
