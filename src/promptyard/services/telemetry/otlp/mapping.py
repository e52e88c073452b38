"""OTLP spans to Promptyard's records: LLM spans become generations, the others spans.

Works on the decoded protobuf objects directly (no intermediate pydantic model per
span: at ingest rates that costs more than the insert). Each span is checked on its own;
a bad one is rejected with a reason and the others go on (OTLP's partial success).

Attribute vocabularies read (docs/opentelemetry.md lists them all):

- OpenTelemetry GenAI, current (``gen_ai.usage.input_tokens``, ``gen_ai.input.messages``)
  and older (``gen_ai.usage.prompt_tokens``, ``gen_ai.prompt.N.role|content``);
- OpenInference (``llm.model_name``, ``llm.token_count.*``, ``llm.input_messages.N.*``,
  ``llm.prompt_template.*``, ``openinference.span.kind``);
- the Langfuse SDK's (``langfuse.observation.*``, ``langfuse.trace.*``, ``user.id``,
  ``session.id``, ``langfuse.environment``);
- Promptyard's own (``promptyard.prompt.name|version|label``, ``promptyard.feature``,
  ``promptyard.agent``), which the SDK's ``observe`` sets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from promptyard.domain.schemas import MAX_TAGS, MAX_VERSION, NAME_PATTERN
from promptyard.services.telemetry.schemas import MAX_LATENCY_MS, MAX_TOKENS, GenerationIn

#: A span's start further ahead than this is refused (clock skew is tolerated).
MAX_SKEW_NS = 5 * 60 * 1_000_000_000
#: Spans older than this are refused as absurd (a clock at zero, a unit mistake).
MIN_START_NS = 946_684_800 * 1_000_000_000  # 2000-01-01
#: Non-LLM spans keep at most this many attributes, each text value up to this length.
MAX_ATTRIBUTES = 128
MAX_ATTRIBUTE_CHARS = 4_000
#: Flags on span rows.
ATTRIBUTES_CUT = "attributes_truncated"
NO_END = "no_end_time"
LONG_SPAN = "absurd_duration"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAME = re.compile(NAME_PATTERN)
_KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
#: gen_ai.operation.name values that are LLM calls (others: invoke_agent, execute_tool...).
_LLM_OPERATIONS = frozenset(
    {"chat", "text_completion", "completion", "generate_content", "embeddings", "embedding"}
)
_NOT_LLM_OPERATIONS = frozenset({"invoke_agent", "create_agent", "execute_tool"})
_LANGFUSE_LLM_TYPES = frozenset({"generation", "embedding"})


class MappedGeneration:
    """A generation mapped from a span: the attributes ``generations.ingest_checked``
    reads of a :class:`GenerationIn`, without pydantic's per-object cost (a
    ``model_construct`` takes longer than the whole rest of the mapping). A field this
    mapping does not set reads as ``None``."""

    __slots__ = tuple(GenerationIn.model_fields)

    def __init__(self, **fields: Any) -> None:
        for key, value in fields.items():
            setattr(self, key, value)

    def __getattr__(self, name: str) -> Any:
        if name in GenerationIn.model_fields:
            return None
        raise AttributeError(name)


@dataclass
class Rejection:
    trace_id: str
    span_id: str
    reason: str


@dataclass
class Mapped:
    """What one export request holds, checked: generations, span rows, rejections."""

    generations: list[MappedGeneration] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.generations) + len(self.spans) + len(self.rejected)


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        text: str = value.string_value
        return text.replace("\x00", "\ufffd") if "\x00" in text else text
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        number = value.double_value
        return number if number == number and abs(number) != float("inf") else None
    if kind == "bool_value":
        return value.bool_value
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {_clean(kv.key): _value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return None


def attributes(kvs: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for kv in kvs:
        value = kv.value
        text = value.string_value  # most values are strings: one call, not two
        found[kv.key] = (text if "\x00" not in text else _value(value)) if text else _value(value)
    return found


def _time(ns: int) -> datetime:
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _clean(text: str) -> str:
    """No NUL characters: PostgreSQL stores none in text or JSON."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _text(value: Any, cap: int) -> str | None:
    if value is None:
        return None
    text = _clean(value if isinstance(value, str) else str(value))
    return text[:cap] if text else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("v", "V"):
            text = text[1:]
        if text.isdigit():
            return int(text)
    return None


def _first(attrs: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = attrs.get(key)
        if value is not None and value != "":
            return value
    return None


def _json(value: Any) -> Any:
    if isinstance(value, str) and (
        value[:1] in ("{", "[") or (len(value) > 1 and value[0] == value[-1] == '"')
    ):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def is_llm(attrs: dict[str, Any]) -> bool:
    """Whether a span's attributes describe one LLM call."""
    observation = attrs.get("langfuse.observation.type")
    if observation is not None:
        return observation in _LANGFUSE_LLM_TYPES
    kind = attrs.get("openinference.span.kind")
    if kind is not None:
        return str(kind).upper() in ("LLM", "EMBEDDING")
    operation = attrs.get("gen_ai.operation.name")
    if operation is not None:
        if operation in _LLM_OPERATIONS:
            return True
        if operation in _NOT_LLM_OPERATIONS:
            return False
    return (
        "gen_ai.request.model" in attrs
        or "gen_ai.response.model" in attrs
        or "gen_ai.usage.input_tokens" in attrs
        or "gen_ai.usage.prompt_tokens" in attrs
        or "llm.model_name" in attrs
        or "llm.token_count.prompt" in attrs
    )


# -- messages ----------------------------------------------------------------------------


def _content(message: dict[str, Any]) -> Any:
    """A message's text: its ``content``, or the text of its ``parts``."""
    content = message.get("content")
    if content is not None:
        return content if isinstance(content, str) else orjson.dumps(content).decode()
    parts = message.get("parts")
    if isinstance(parts, list):
        texts = [
            str(part.get("content", ""))
            for part in parts
            if isinstance(part, dict) and part.get("type", "text") == "text"
        ]
        if texts:
            return "".join(texts)
        return orjson.dumps(parts).decode()
    return ""


def _messages(value: Any) -> list[dict[str, Any]] | None:
    value = _json(value)
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        value = value["messages"]
    if not isinstance(value, list) or not value or not all(isinstance(m, dict) for m in value):
        return None
    return [{"role": str(m.get("role", "user")), "content": _content(m)} for m in value]


def _indexed(attrs: dict[str, Any], prefix: str, role: str, content: str) -> list[dict[str, Any]]:
    """Messages spread over ``<prefix>.N.<role>`` / ``<prefix>.N.<content>`` attributes."""
    found: list[dict[str, Any]] = []
    index = 0
    while True:
        head = f"{prefix}.{index}."
        r, c = attrs.get(head + role), attrs.get(head + content)
        if r is None and c is None:
            return found
        found.append({"role": str(r or "user"), "content": "" if c is None else str(c)})
        index += 1


def _input(attrs: dict[str, Any]) -> str | list[dict[str, Any]] | None:
    for key in ("gen_ai.input.messages", "langfuse.observation.input", "input.value"):
        raw = attrs.get(key)
        if raw is None:
            continue
        messages = _messages(raw)
        if messages is not None:
            return messages
        parsed = _json(raw)
        return parsed if isinstance(parsed, str) else orjson.dumps(parsed).decode()
    for prefix, role, content in (
        ("gen_ai.prompt", "role", "content"),
        ("llm.input_messages", "message.role", "message.content"),
    ):
        if f"{prefix}.0.{role}" in attrs or f"{prefix}.0.{content}" in attrs:
            return _indexed(attrs, prefix, role, content)
    return None


def _clean_input(value: str | list[dict[str, Any]] | None) -> str | list[dict[str, Any]] | None:
    if value is None or isinstance(value, str):
        return None if value is None else _clean(value)
    return [{"role": _clean(str(m["role"])), "content": _clean(str(m["content"]))} for m in value]


def _output(attrs: dict[str, Any]) -> str | None:
    for key in ("gen_ai.output.messages", "langfuse.observation.output", "output.value"):
        raw = attrs.get(key)
        if raw is None:
            continue
        parsed = _json(raw)
        if isinstance(parsed, str):
            return parsed
        messages = _messages(parsed)
        if messages is not None:
            return "\n".join(str(m["content"]) for m in messages)
        if isinstance(parsed, dict) and isinstance(parsed.get("content"), str):
            return str(parsed["content"])
        return orjson.dumps(parsed).decode()
    for prefix, role, content in (
        ("gen_ai.completion", "role", "content"),
        ("llm.output_messages", "message.role", "message.content"),
    ):
        if f"{prefix}.0.{content}" in attrs:
            return "\n".join(m["content"] for m in _indexed(attrs, prefix, role, content))
    return None


# -- usage -------------------------------------------------------------------------------


@dataclass
class _Usage:
    input: int | None = None
    output: int | None = None
    cached: int | None = None
    reasoning: int | None = None
    input_cost: float | None = None
    output_cost: float | None = None


def _usage(attrs: dict[str, Any]) -> _Usage:
    usage = _Usage(
        input=_int(
            _first(
                attrs,
                "gen_ai.usage.input_tokens",
                "gen_ai.usage.prompt_tokens",
                "llm.token_count.prompt",
            )
        ),
        output=_int(
            _first(
                attrs,
                "gen_ai.usage.output_tokens",
                "gen_ai.usage.completion_tokens",
                "llm.token_count.completion",
            )
        ),
        cached=_int(
            _first(
                attrs,
                "gen_ai.usage.cache_read.input_tokens",
                "gen_ai.usage.cache_read_input_tokens",
                "llm.token_count.prompt_details.cache_read",
            )
        ),
        reasoning=_int(
            _first(
                attrs,
                "gen_ai.usage.reasoning.output_tokens",
                "gen_ai.usage.reasoning_tokens",
                "llm.token_count.completion_details.reasoning",
            )
        ),
    )
    details = _json(attrs.get("langfuse.observation.usage_details"))
    if isinstance(details, dict):
        if usage.input is None:
            usage.input = _int(_first(details, "input", "prompt_tokens", "input_tokens"))
        if usage.output is None:
            usage.output = _int(_first(details, "output", "completion_tokens", "output_tokens"))
        if usage.cached is None:
            usage.cached = _int(_first(details, "input_cached_tokens", "cache_read_input_tokens"))
        if usage.reasoning is None:
            usage.reasoning = _int(_first(details, "output_reasoning_tokens", "reasoning_tokens"))
    costs = _json(attrs.get("langfuse.observation.cost_details"))
    if isinstance(costs, dict):
        usage.input_cost, usage.output_cost = (
            _money(costs.get("input")),
            _money(costs.get("output")),
        )
    else:
        usage.input_cost = _money(attrs.get("llm.cost.prompt"))
        usage.output_cost = _money(attrs.get("llm.cost.completion"))
    if (usage.input_cost is None) != (usage.output_cost is None):
        usage.input_cost = usage.input_cost or 0.0
        usage.output_cost = usage.output_cost or 0.0
    return usage


def _money(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value <= 1_000_000 else None


def _absurd_tokens(usage: _Usage) -> str | None:
    for name, value in (
        ("input", usage.input),
        ("output", usage.output),
        ("cached input", usage.cached),
        ("reasoning", usage.reasoning),
    ):
        if value is not None and not 0 <= value <= MAX_TOKENS:
            return f"absurd {name} token count {value} (must be 0..{MAX_TOKENS})"
    if usage.cached is not None and usage.input is not None and usage.cached > usage.input:
        usage.cached = None  # some SDKs report cache reads outside the input count
    if usage.reasoning is not None and usage.output is not None and usage.reasoning > usage.output:
        usage.reasoning = None
    return None


# -- the walk ----------------------------------------------------------------------------


@dataclass
class _Resource:
    service: str | None
    environment: str | None


def map_request(request: ExportTraceServiceRequest, *, now: datetime) -> Mapped:
    """Check and map every span of an export request."""
    mapped = Mapped()
    now_ns = int((now - _EPOCH).total_seconds() * 1e9)
    for resource_spans in request.resource_spans:
        resource_attrs = attributes(resource_spans.resource.attributes)
        resource = _Resource(
            service=_text(resource_attrs.get("service.name"), 200),
            environment=_text(
                _first(resource_attrs, "deployment.environment.name", "deployment.environment"),
                200,
            ),
        )
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                _map_span(span, resource, now_ns, now, mapped)
    return mapped


def _map_span(span: Any, resource: _Resource, now_ns: int, now: datetime, out: Mapped) -> None:
    raw_trace, raw_span = span.trace_id, span.span_id
    trace_id, span_id = raw_trace.hex(), raw_span.hex()
    if len(raw_trace) != 16 or not any(raw_trace):
        out.rejected.append(Rejection(trace_id, span_id, "trace_id: missing or not 16 bytes"))
        return
    if len(raw_span) != 8 or not any(raw_span):
        out.rejected.append(Rejection(trace_id, span_id, "span_id: missing or not 8 bytes"))
        return
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if start < MIN_START_NS:
        out.rejected.append(Rejection(trace_id, span_id, "start_time_unix_nano: missing"))
        return
    if start - now_ns > MAX_SKEW_NS:
        out.rejected.append(
            Rejection(trace_id, span_id, "start_time_unix_nano: more than 5 minutes ahead")
        )
        return
    if end and end < start:
        out.rejected.append(
            Rejection(trace_id, span_id, "end_time_unix_nano: before start_time_unix_nano")
        )
        return
    parent = span.parent_span_id
    parent_id = parent.hex() if len(parent) == 8 and any(parent) else None
    attrs = attributes(span.attributes)
    duration_ms = (end - start) / 1e6 if end else None
    error = span.status.code == 2 or attrs.get("langfuse.observation.level") == "ERROR"
    status_message = _text(
        span.status.message or attrs.get("langfuse.observation.status_message"), 4000
    )
    environment = (
        _text(
            _first(
                attrs,
                "deployment.environment.name",
                "deployment.environment",
                "langfuse.environment",
            ),
            200,
        )
        or resource.environment
    )
    user = _text(_first(attrs, "user.id", "langfuse.user.id", "enduser.id"), 200)
    session = _text(
        _first(attrs, "session.id", "langfuse.session.id", "gen_ai.conversation.id"), 200
    )
    if is_llm(attrs):
        if duration_ms is not None and duration_ms > MAX_LATENCY_MS:
            out.rejected.append(Rejection(trace_id, span_id, "duration: longer than a day"))
            return
        usage = _usage(attrs)
        absurd = _absurd_tokens(usage)
        if absurd is not None:
            out.rejected.append(Rejection(trace_id, span_id, absurd))
            return
        out.generations.append(
            _generation(
                span,
                attrs,
                usage,
                trace_id=trace_id,
                span_id=span_id,
                parent_id=parent_id,
                start=start,
                duration_ms=duration_ms,
                error=error,
                status_message=status_message,
                environment=environment,
                user=user,
                session=session,
                resource=resource,
            )
        )
        return
    flags: list[str] = []
    if not end:
        flags.append(NO_END)
    elif duration_ms is not None and duration_ms > MAX_LATENCY_MS:
        flags.append(LONG_SPAN)
    stored = _capped_attributes(attrs, flags)
    out.spans.append(
        {
            "trace_id": trace_id,
            "span_id": span_id,
            "parent_span_id": parent_id,
            "name": _clean(span.name[:400]) or "(unnamed)",
            "kind": _KINDS[span.kind] if 0 <= span.kind < len(_KINDS) else "unspecified",
            "start_time": _time(start),
            "end_time": _time(end) if end else None,
            "duration_ms": duration_ms,
            "status": "error" if error else "ok",
            "status_message": status_message,
            "service_name": resource.service,
            "user_id": user,
            "session_id": session,
            "environment": environment,
            "attributes": stored,
            "flags": flags,
            "source": "otlp",
            "created_at": now,
        }
    )


def _capped_attributes(attrs: dict[str, Any], flags: list[str]) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    cut = len(attrs) > MAX_ATTRIBUTES
    for index, (key, value) in enumerate(attrs.items()):
        if index >= MAX_ATTRIBUTES:
            break
        if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_CHARS:
            value, cut = value[:MAX_ATTRIBUTE_CHARS], True
        elif isinstance(value, list | dict):
            encoded = orjson.dumps(value)
            if len(encoded) > MAX_ATTRIBUTE_CHARS:
                value, cut = encoded[:MAX_ATTRIBUTE_CHARS].decode(errors="ignore"), True
        stored[_clean(key[:200])] = value
    if cut:
        flags.append(ATTRIBUTES_CUT)
    return stored


def _prompt(attrs: dict[str, Any]) -> tuple[str | None, int | None, str | None]:
    name = _first(
        attrs,
        "promptyard.prompt.name",
        "langfuse.observation.prompt.name",
        "llm.prompt_template.name",
    )
    version = _int(
        _first(
            attrs,
            "promptyard.prompt.version",
            "langfuse.observation.prompt.version",
            "llm.prompt_template.version",
        )
    )
    label = _text(attrs.get("promptyard.prompt.label"), 64)
    if not isinstance(name, str) or not _NAME.match(name):
        return None, None, None
    if version is not None and not 1 <= version <= MAX_VERSION:
        version = None
    return name, version, label


def _tags(attrs: dict[str, Any]) -> list[str]:
    raw = _first(attrs, "promptyard.tags", "langfuse.trace.tags")
    raw = _json(raw)
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        return []
    return [_clean(str(tag)[:100]) for tag in raw if tag not in (None, "")][:MAX_TAGS]


def _ttft_ms(attrs: dict[str, Any], start_ns: int) -> float | None:
    seconds = attrs.get("gen_ai.server.time_to_first_token")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds >= 0:
        return min(float(seconds) * 1000, MAX_LATENCY_MS)
    first = _json(attrs.get("langfuse.observation.completion_start_time"))
    if isinstance(first, str):
        try:
            at = datetime.fromisoformat(first.replace("Z", "+00:00"))
        except ValueError:
            return None
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        ms = (at - _time(start_ns)).total_seconds() * 1000
        return ms if 0 <= ms <= MAX_LATENCY_MS else None
    return None


def _generation(
    span: Any,
    attrs: dict[str, Any],
    usage: _Usage,
    *,
    trace_id: str,
    span_id: str,
    parent_id: str | None,
    start: int,
    duration_ms: float | None,
    error: bool,
    status_message: str | None,
    environment: str | None,
    user: str | None,
    session: str | None,
    resource: _Resource,
) -> MappedGeneration:
    prompt_name, prompt_version, prompt_label = _prompt(attrs)
    meta: dict[str, Any] = {"span_name": _clean(span.name[:400])}
    if resource.service is not None:
        meta["service"] = resource.service
    response_id = attrs.get("gen_ai.response.id")
    if response_id is not None:
        meta["response_id"] = _clean(str(response_id)[:200])
    reasons = attrs.get("gen_ai.response.finish_reasons")
    if reasons is not None:
        meta["finish_reasons"] = reasons
    return MappedGeneration(
        id=span_id,
        external_id=None,
        trace_id=trace_id,
        parent_span_id=parent_id,
        prompt_name=prompt_name,
        prompt_version=prompt_version if prompt_name is not None else None,
        prompt_label=prompt_label,
        provider=_text(
            _first(attrs, "gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system"),
            100,
        ),
        model=_text(
            _first(
                attrs,
                "gen_ai.response.model",
                "gen_ai.request.model",
                "llm.model_name",
                "langfuse.observation.model.name",
            ),
            200,
        ),
        input_tokens=usage.input,
        output_tokens=usage.output,
        cached_tokens=usage.cached,
        reasoning_tokens=usage.reasoning,
        input_cost=usage.input_cost,
        output_cost=usage.output_cost,
        currency="USD" if usage.input_cost is not None else None,
        latency_ms=duration_ms,
        ttft_ms=_ttft_ms(attrs, start),
        start_time=_time(start),
        status="error" if error else "ok",
        error=status_message if error else None,
        user_id=user,
        session_id=session,
        feature=_text(attrs.get("promptyard.feature"), 200),
        agent=_text(_first(attrs, "promptyard.agent", "gen_ai.agent.name"), 200),
        environment=environment,
        tags=_tags(attrs),
        metadata=meta,
        input=_clean_input(_input(attrs)),
        output=None if (output := _output(attrs)) is None else _clean(output),
    )
