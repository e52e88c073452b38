"""OTLP/HTTP trace requests off the wire: protobuf or JSON, gzip or not, bounded.

``ExportTraceServiceRequest`` comes as ``application/x-protobuf`` (what every OTLP/HTTP
exporter sends by default) or ``application/json`` (OTLP's JSON mapping: lowerCamelCase
names, trace and span ids in hex, enums as numbers, 64-bit integers as strings). A gzip
body is unpacked up to a cap, so a small bomb cannot fill memory; past it the answer is
413. A body that is not what it claims is refused with a message naming what is wrong.
"""

from __future__ import annotations

import base64
import zlib
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from promptyard.domain.errors import DomainError

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_PROTOBUF_TYPES = frozenset({PROTOBUF, "application/protobuf", "application/octet-stream"})


class MalformedPayload(DomainError):
    """The body is not an OTLP trace export request (400, as OTLP/HTTP asks)."""

    code = "malformed_payload"
    status = 400


class PayloadTooLarge(DomainError):
    """The body, once unpacked, is larger than the server takes."""

    code = "payload_too_large"
    status = 413


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415


def media_type(content_type: str | None) -> str:
    """``PROTOBUF`` or ``JSON`` for a request's ``Content-Type``; 415 for anything else."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base in _PROTOBUF_TYPES:
        return PROTOBUF
    if base == JSON or base.endswith("+json"):
        return JSON
    raise UnsupportedMediaType(
        f"Content-Type {base or '(none)'!r} is not OTLP: send application/x-protobuf or "
        "application/json"
    )


def unpack(body: bytes, content_encoding: str | None, *, max_bytes: int) -> bytes:
    """The body without its ``Content-Encoding`` (gzip, deflate or none), at most
    ``max_bytes`` long once unpacked."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise UnsupportedMediaType(
            f"Content-Encoding {encoding!r} is not supported: send gzip or none"
        )
    # wbits 47: zlib or gzip header, detected (a deflate body is zlib-wrapped in HTTP).
    inflater = zlib.decompressobj(47)
    try:
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise MalformedPayload(f"the body is not valid {encoding}: {exc}") from None
    if len(data) > max_bytes or inflater.unconsumed_tail:
        raise PayloadTooLarge(
            f"the body unpacks to more than {max_bytes} bytes, the most OTLP ingest takes "
            "(PROMPTYARD_OTLP_MAX_UNPACKED_BYTES); send smaller batches"
        )
    if not inflater.eof:
        raise MalformedPayload(f"the {encoding} body is cut short")
    return data


def parse(data: bytes, kind: str) -> ExportTraceServiceRequest:
    """The export request in ``data`` (``kind``: ``PROTOBUF`` or ``JSON``)."""
    request = ExportTraceServiceRequest()
    if kind == PROTOBUF:
        try:
            request.ParseFromString(data)
        except (DecodeError, ValueError, RuntimeError) as exc:
            raise MalformedPayload(
                f"the body is not an OTLP ExportTraceServiceRequest in protobuf: {exc}"
            ) from None
        return request
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MalformedPayload(f"the body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise MalformedPayload("the body must be a JSON object with resourceSpans")
    _hex_ids_to_base64(document)
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise MalformedPayload(f"the body is not an OTLP trace export in JSON: {exc}") from None
    return request


def response_body(rejected: int, message: str, kind: str) -> tuple[bytes, str]:
    """An ``ExportTraceServiceResponse`` (with its partial success when spans were
    rejected), encoded like the request was."""
    response = ExportTraceServiceResponse()
    if rejected or message:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    if kind == PROTOBUF:
        return response.SerializeToString(), PROTOBUF
    return json_format.MessageToJson(response, indent=None).encode(), JSON


_ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _hex_ids_to_base64(document: dict[str, Any]) -> None:
    """OTLP JSON writes ids in hex where protobuf's JSON mapping expects base64: convert
    them in place (in spans and their links) before the generic parse."""
    resource_spans = document.get("resourceSpans", document.get("resource_spans"))
    if not isinstance(resource_spans, list):
        if resource_spans is None:
            return
        raise MalformedPayload("resourceSpans: must be a list")
    for resource_span in resource_spans:
        if not isinstance(resource_span, dict):
            raise MalformedPayload("resourceSpans[]: each must be an object")
        scope_spans = resource_span.get("scopeSpans", resource_span.get("scope_spans")) or []
        if not isinstance(scope_spans, list):
            raise MalformedPayload("scopeSpans: must be a list")
        for scope_span in scope_spans:
            spans = scope_span.get("spans") if isinstance(scope_span, dict) else None
            if not isinstance(spans, list):
                continue
            for span in spans:
                if not isinstance(span, dict):
                    raise MalformedPayload("spans[]: each must be an object")
                _convert(span)
                for link in span.get("links") or []:
                    if isinstance(link, dict):
                        _convert(link)


def _convert(holder: dict[str, Any]) -> None:
    for name in _ID_FIELDS:
        value = holder.get(name)
        if not isinstance(value, str) or not value:
            continue
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise MalformedPayload(f"{name}: {value[:40]!r} is not a hex id") from None
        holder[name] = base64.b64encode(raw).decode()
