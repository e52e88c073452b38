"""``observe`` scopes as OpenTelemetry spans: the OTLP/JSON the reporter sends to
``POST /v1/traces``.

A scope that timed an LLM call (it has a model or token counts) is a generation; any
other scope (a pipeline step, an agent turn, a tool call) is a span of its trace. Its
prompt goes as ``promptyard.prompt.name`` / ``promptyard.prompt.version``, which the
server (and any OTLP backend) reads. Imports nothing of the server side.
"""

from __future__ import annotations

import json
import random
import re
import time
from datetime import datetime
from typing import Any

#: A scope whose record has one of these is an LLM call: it stays a generation.
GENERATION_KEYS = frozenset(
    {"model", "provider", "input_tokens", "output_tokens", "input_cost", "output_cost"}
)
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_SPAN_ID = re.compile(r"^[0-9a-f]{16}$")
#: Record fields sent as span attributes, and their OpenTelemetry names.
_ATTRIBUTES = (
    ("prompt_name", "promptyard.prompt.name"),
    ("prompt_version", "promptyard.prompt.version"),
    ("prompt_label", "promptyard.prompt.label"),
    ("user_id", "user.id"),
    ("session_id", "session.id"),
    ("feature", "promptyard.feature"),
    ("agent", "promptyard.agent"),
    ("environment", "deployment.environment.name"),
    ("input", "input.value"),
    ("output", "output.value"),
    ("external_id", "promptyard.external_id"),
)
_bits = random.getrandbits
#: Text attributes are cut to this many characters (the server keeps 4,000 of a span's).
MAX_TEXT = 4_000


def new_trace_id() -> str:
    """32 hex digits (OpenTelemetry's trace id); never all zero."""
    return f"{_bits(128) | 1:032x}"


def new_span_id() -> str:
    """16 hex digits (OpenTelemetry's span id); never all zero."""
    return f"{_bits(64) | 1:016x}"


def is_span(record: dict[str, Any]) -> bool:
    """Whether a scope's record goes as a span (no model, no tokens, OTel ids)."""
    if not GENERATION_KEYS.isdisjoint(record):
        return False
    parent = record.get("parent_span_id")
    return (
        _TRACE_ID.match(str(record.get("trace_id", ""))) is not None
        and _SPAN_ID.match(str(record.get("id", ""))) is not None
        and (parent is None or _SPAN_ID.match(str(parent)) is not None)
    )


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return {"arrayValue": {"values": [{"stringValue": v} for v in value]}}
    if isinstance(value, str):
        return {"stringValue": value}
    return {"stringValue": json.dumps(value, default=str, ensure_ascii=False)}


def otlp_span(record: dict[str, Any]) -> dict[str, Any]:
    """One scope's record as an OTLP/JSON span."""
    start = record.get("start_time")
    if isinstance(start, datetime):
        start = start.timestamp()
    start_ns = int(float(start) * 1e9) if isinstance(start, int | float) else time.time_ns()
    end_ns = start_ns + int(float(record.get("latency_ms") or 0.0) * 1e6)
    attributes = []
    for field, key in _ATTRIBUTES:
        value = record.get(field)
        if value is None:
            continue
        value = _value(value)
        text = value.get("stringValue")
        if text is not None and len(text) > MAX_TEXT:  # the server keeps 4,000 characters
            value = {"stringValue": text[:MAX_TEXT]}
        attributes.append({"key": key, "value": value})
    if record.get("tags"):
        attributes.append({"key": "promptyard.tags", "value": _value(list(record["tags"]))})
    metadata = dict(record.get("metadata") or {})
    name = str(metadata.pop("observation", None) or "observe")
    metadata.pop("children", None)
    if metadata:
        attributes.append({"key": "promptyard.metadata", "value": _value(metadata)})
    span: dict[str, Any] = {
        "traceId": record["trace_id"],
        "spanId": record["id"],
        "name": name[:400],
        "kind": 1,  # internal
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(end_ns),
        "attributes": attributes,
    }
    if record.get("parent_span_id"):
        span["parentSpanId"] = record["parent_span_id"]
    status = record.get("status", "ok")
    if status != "ok":
        message = record.get("error") or status
        span["status"] = {"code": 2, "message": str(message)}
        attributes.append({"key": "promptyard.status", "value": {"stringValue": status}})
    return span


def export_body(spans: list[bytes]) -> bytes:
    """An OTLP/JSON ``ExportTraceServiceRequest`` around already encoded spans."""
    head = (
        b'{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name",'
        b'"value":{"stringValue":"promptyard-sdk"}}]},"scopeSpans":[{"scope":'
        b'{"name":"promptyard.client"},"spans":['
    )
    return head + b",".join(spans) + b"]}]}]}"
