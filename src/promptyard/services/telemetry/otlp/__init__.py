"""OTLP/HTTP trace ingest: decode (``decode.py``), map spans to generations and span rows
(``mapping.py``), store them through the one ingest path (:func:`ingest_export`)."""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from promptyard.services.context import Core
from promptyard.services.telemetry import generations
from promptyard.services.telemetry.events import event_store
from promptyard.services.telemetry.otlp.decode import (
    JSON,
    PROTOBUF,
    MalformedPayload,
    PayloadTooLarge,
    UnsupportedMediaType,
    media_type,
    parse,
    response_body,
    unpack,
)
from promptyard.services.telemetry.otlp.mapping import Mapped, Rejection, map_request

__all__ = [
    "JSON",
    "PROTOBUF",
    "IngestResult",
    "MalformedPayload",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "ingest_body",
    "ingest_export",
    "media_type",
    "response_body",
]

#: The partial-success message names at most this many rejected spans.
MAX_REASONS = 10


@dataclass(frozen=True)
class IngestResult:
    generations: int
    spans: int
    duplicates: int
    rejected: int
    message: str


def ingest_export(core: Core, project_id: int, request: ExportTraceServiceRequest) -> IngestResult:
    """Check, map and store one export request. Returns once every stored row is
    committed: the caller may acknowledge then, not before."""
    mapped: Mapped = map_request(request, now=core.clock())
    created, duplicates = generations.ingest_checked(
        core, project_id, mapped.generations, source="otlp"
    )
    if mapped.spans:
        for row in mapped.spans:
            row["project_id"] = project_id
        event_store(core).append_spans(mapped.spans)
    return IngestResult(
        generations=created,
        spans=len(mapped.spans),
        duplicates=duplicates,
        rejected=len(mapped.rejected),
        message=_message(mapped.rejected),
    )


def ingest_body(
    core: Core,
    project_id: int,
    body: bytes,
    *,
    content_type: str | None,
    content_encoding: str | None,
) -> tuple[IngestResult, str]:
    """Decode and ingest a raw OTLP/HTTP body; the result and the request's media type
    (the response is encoded the same way)."""
    kind = media_type(content_type)
    data = unpack(body, content_encoding, max_bytes=core.settings.otlp_max_unpacked_bytes)
    request = parse(data, kind)
    return ingest_export(core, project_id, request), kind


def _message(rejected: list[Rejection]) -> str:
    if not rejected:
        return ""
    shown = "; ".join(f"span {r.span_id or '(none)'}: {r.reason}" for r in rejected[:MAX_REASONS])
    more = len(rejected) - MAX_REASONS
    return f"{len(rejected)} span(s) rejected: {shown}" + (
        f" (and {more} more)" if more > 0 else ""
    )
