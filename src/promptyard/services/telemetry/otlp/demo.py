"""Agent runs for ``promptyard serve --demo``: a few dozen traces over the last week,
each a tree (an agent turn, retrieval and tool spans, LLM calls on the demo prompts'
versions, now and then a failed tool), sent through the OTLP ingest path as an
OpenTelemetry-instrumented app's exports would be. Deterministic (a fixed seed)."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from promptyard.services.context import Core
from promptyard.services.telemetry.otlp import ingest_export

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MODELS = ("gpt-4o-mini", "gpt-4o")
_TOOLS = ("search_orders", "lookup_customer", "refund_policy")


def _kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def _ns(at: datetime) -> int:
    return int((at - _EPOCH).total_seconds() * 1e9)


def seed_traces(
    core: Core,
    project_id: int,
    prompts: Sequence[tuple[str, int]],
    *,
    now: datetime,
    count: int = 40,
    seed: int = 11,
) -> int:
    """Send ``count`` agent runs over the week before ``now``; how many spans and
    generations were stored."""
    rng = random.Random(seed)
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(
        [_kv("service.name", "support-agent"), _kv("deployment.environment", "production")]
    )
    spans = resource_spans.scope_spans.add().spans
    for number in range(count):
        start = now - timedelta(minutes=rng.uniform(10, 7 * 24 * 60))
        trace_id = rng.randbytes(16)
        user = f"user-{rng.randint(1, 300)}"
        root = rng.randbytes(8)
        cursor = start + timedelta(milliseconds=rng.uniform(5, 30))
        children: list[Span] = []
        name, versions = prompts[number % len(prompts)]
        for step in range(rng.randint(1, 3)):
            tool = rng.randbytes(8)
            tool_ms = rng.uniform(40, 400)
            failed = rng.random() < 0.08
            tool_span = Span(
                trace_id=trace_id,
                span_id=tool,
                parent_span_id=root,
                name=f"tool.{_TOOLS[(number + step) % len(_TOOLS)]}",
                kind=Span.SPAN_KIND_INTERNAL,
                start_time_unix_nano=_ns(cursor),
                end_time_unix_nano=_ns(cursor + timedelta(milliseconds=tool_ms)),
            )
            tool_span.attributes.extend([_kv("gen_ai.operation.name", "execute_tool")])
            if failed:
                tool_span.status.code = Status.STATUS_CODE_ERROR
                tool_span.status.message = "upstream timed out"
            children.append(tool_span)
            cursor += timedelta(milliseconds=tool_ms + rng.uniform(2, 20))
            llm_ms = rng.lognormvariate(6.5, 0.4)
            model = _MODELS[rng.random() < 0.25]
            version = rng.randint(1, versions)
            llm = Span(
                trace_id=trace_id,
                span_id=rng.randbytes(8),
                parent_span_id=root,
                name=f"chat {model}",
                kind=Span.SPAN_KIND_CLIENT,
                start_time_unix_nano=_ns(cursor),
                end_time_unix_nano=_ns(cursor + timedelta(milliseconds=llm_ms)),
            )
            question = f"Where is my order {rng.randint(1000, 9999)}?"
            llm.attributes.extend(
                [
                    _kv("gen_ai.operation.name", "chat"),
                    _kv("gen_ai.provider.name", "openai"),
                    _kv("gen_ai.request.model", model),
                    _kv("gen_ai.usage.input_tokens", rng.randint(300, 1600)),
                    _kv("gen_ai.usage.output_tokens", rng.randint(40, 300)),
                    _kv("promptyard.prompt.name", name),
                    _kv("promptyard.prompt.version", version),
                    _kv("promptyard.feature", "support"),
                    _kv("user.id", user),
                    _kv(
                        "gen_ai.input.messages",
                        json.dumps([{"role": "user", "content": question}]),
                    ),
                    _kv(
                        "gen_ai.output.messages",
                        json.dumps([{"role": "assistant", "content": "It ships tomorrow; sorry!"}]),
                    ),
                ]
            )
            children.append(llm)
            cursor += timedelta(milliseconds=llm_ms + rng.uniform(2, 20))
        root_span = Span(
            trace_id=trace_id,
            span_id=root,
            name="agent.turn",
            kind=Span.SPAN_KIND_SERVER,
            start_time_unix_nano=_ns(start),
            end_time_unix_nano=_ns(cursor + timedelta(milliseconds=rng.uniform(2, 30))),
        )
        root_span.attributes.extend([_kv("user.id", user), _kv("gen_ai.agent.name", "support")])
        spans.append(root_span)
        spans.extend(children)
    result = ingest_export(core, project_id, request)
    return result.generations + result.spans
