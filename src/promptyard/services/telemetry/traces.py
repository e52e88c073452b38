"""Reading traces back: the list (one summary per trace) and one trace's tree.

A trace is what shares a trace id: generations (LLM calls) and spans (every other step),
whichever way they came (OTLP, the SDK's ``observe``, execute). The tree is given as a
flat list of nodes in start order, each naming its parent and its children, so a
client draws it as a tree or a timeline without walking a nested document.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from promptyard.domain.errors import NotFound, ValidationFailed
from promptyard.services.context import Core
from promptyard.services.telemetry.events import TRACE_MAX_ROWS, GenerationQuery, TraceQuery
from promptyard.services.telemetry.events import event_store as _event_store
from promptyard.services.telemetry.schemas import PromptRef
from promptyard.store.models import SqlGeneration, SqlSpan


class TraceSummary(BaseModel):
    trace_id: str
    root_name: str | None = Field(description="the root span's name (a generation: its model)")
    start_time: datetime
    end_time: datetime | None
    duration_ms: float | None
    span_count: int = Field(description="spans that are not LLM calls")
    generation_count: int
    error_count: int
    input_tokens: int
    output_tokens: int
    cost: float | None = Field(description="sum of the priced generations' cost")
    currency: str | None
    user_id: str | None
    session_id: str | None


class TracePage(BaseModel):
    items: list[TraceSummary]
    next_cursor: str | None


class TraceNode(BaseModel):
    id: str = Field(description="the span id (a generation's id)")
    parent_id: str | None
    type: Literal["span", "generation"]
    name: str
    kind: str | None = None
    depth: int = Field(description="0 for a root")
    children: list[str] = Field(description="ids of the child nodes, in start order")
    start_time: datetime
    end_time: datetime | None
    duration_ms: float | None
    offset_ms: float = Field(description="start, in ms after the trace's start")
    status: str
    status_message: str | None = None
    service_name: str | None = None
    model: str | None = None
    provider: str | None = None
    prompt: PromptRef | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: float | None = None
    currency: str | None = None
    ttft_ms: float | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)


class TraceDetail(BaseModel):
    trace_id: str
    start_time: datetime
    end_time: datetime | None
    duration_ms: float | None
    span_count: int
    generation_count: int
    error_count: int
    input_tokens: int
    output_tokens: int
    cost: float | None
    currency: str | None
    nodes: list[TraceNode] = Field(description="every span and generation, tree order")
    truncated: bool = Field(description=f"the trace has more than {TRACE_MAX_ROWS} rows")


def encode_cursor(row: TraceSummary) -> str:
    raw = f"{row.start_time.isoformat()}|{row.trace_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, trace_id = raw.split("|")
        return datetime.fromisoformat(at), trace_id
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            "cursor: not a cursor this server gave out; pass next_cursor from the last page"
        ) from None


def list_traces(core: Core, query: TraceQuery) -> TracePage:
    rows = _event_store(core).traces(TraceQuery(**{**query.__dict__, "limit": query.limit + 1}))
    more = len(rows) > query.limit
    items = [
        TraceSummary(
            trace_id=row.trace_id,
            root_name=row.root_name,
            start_time=row.start_time,
            end_time=row.end_time,
            duration_ms=_ms(row.start_time, row.end_time),
            span_count=row.span_count,
            generation_count=row.generation_count,
            error_count=row.error_count,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            cost=row.cost,
            currency=row.currency,
            user_id=row.user_id,
            session_id=row.session_id,
        )
        for row in rows[: query.limit]
    ]
    return TracePage(items=items, next_cursor=encode_cursor(items[-1]) if more and items else None)


def get_trace(core: Core, project_id: int, trace_id: str) -> TraceDetail:
    events = _event_store(core)
    spans = events.spans_of_trace(project_id, trace_id)
    gens = events.generations(
        GenerationQuery(project_id=project_id, trace_id=trace_id, limit=TRACE_MAX_ROWS)
    )
    if not spans and not gens:
        raise NotFound(f"no trace {trace_id!r} in this project")
    nodes = [_span_node(s) for s in spans] + [_generation_node(g) for g in gens]
    start = min(n.start_time for n in nodes)
    ends = [n.end_time for n in nodes if n.end_time is not None]
    end = max(ends) if ends else None
    costs = [n.cost for n in nodes if n.cost is not None]
    ordered = build_tree(nodes, start)
    return TraceDetail(
        trace_id=trace_id,
        start_time=start,
        end_time=end,
        duration_ms=_ms(start, end),
        span_count=len(spans),
        generation_count=len(gens),
        error_count=sum(1 for n in nodes if n.status == "error"),
        input_tokens=sum(n.input_tokens or 0 for n in nodes),
        output_tokens=sum(n.output_tokens or 0 for n in nodes),
        cost=sum(costs) if costs else None,
        currency=next((n.currency for n in nodes if n.currency), None),
        nodes=ordered,
        truncated=len(spans) >= TRACE_MAX_ROWS or len(gens) >= TRACE_MAX_ROWS,
    )


#: Nodes deeper than this hang under their ancestor at this depth (a runaway chain
#: stays drawable); their ``parent_id`` still names the true parent.
MAX_DEPTH = 64


def build_tree(nodes: list[TraceNode], start: datetime) -> list[TraceNode]:
    """Nodes in depth-first order, children by start time, with depth and children set.
    A node whose parent is not in the trace is a root; a cycle is broken at its earliest
    node, which becomes a root."""
    by_id = {node.id: node for node in nodes}
    ordered_input = sorted(nodes, key=lambda n: (n.start_time, n.id))
    children: dict[str | None, list[TraceNode]] = {}
    for node in ordered_input:
        node.offset_ms = (node.start_time - start).total_seconds() * 1000
        parent = node.parent_id if node.parent_id in by_id and node.parent_id != node.id else None
        children.setdefault(parent, []).append(node)
    out: list[TraceNode] = []
    seen: set[str] = set()

    def walk(root: TraceNode) -> None:
        stack: list[tuple[TraceNode, int]] = [(root, 0)]
        while stack:
            node, depth = stack.pop()
            if node.id in seen:
                continue
            seen.add(node.id)
            node.depth = min(depth, MAX_DEPTH)
            kids = [k for k in children.get(node.id, []) if k.id not in seen]
            node.children = [k.id for k in kids]
            out.append(node)
            stack.extend((kid, depth + 1) for kid in reversed(kids))

    for root in children.get(None, []):
        walk(root)
    for node in ordered_input:  # only nodes in a cycle are left
        if node.id not in seen:
            walk(node)
    return out


def _ms(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() * 1000


def _span_node(row: SqlSpan) -> TraceNode:
    return TraceNode(
        id=row.span_id,
        parent_id=row.parent_span_id,
        type="span",
        name=row.name,
        kind=row.kind,
        depth=0,
        children=[],
        start_time=row.start_time,
        end_time=row.end_time,
        duration_ms=row.duration_ms,
        offset_ms=0.0,
        status=row.status,
        status_message=row.status_message,
        service_name=row.service_name,
        attributes=row.attributes or {},
        flags=list(row.flags or []),
    )


def _generation_node(row: SqlGeneration) -> TraceNode:
    end = None
    if row.latency_ms is not None:
        end = row.start_time + timedelta(milliseconds=row.latency_ms)
    cost = None
    if row.input_cost is not None and row.output_cost is not None:
        cost = row.input_cost + row.output_cost
    meta = row.meta or {}
    return TraceNode(
        id=row.id,
        parent_id=row.parent_span_id,
        type="generation",
        name=str(meta.get("span_name") or row.prompt_name or row.model or "generation"),
        depth=0,
        children=[],
        start_time=row.start_time,
        end_time=end,
        duration_ms=row.latency_ms,
        offset_ms=0.0,
        status=row.status,
        status_message=row.error,
        service_name=meta.get("service"),
        model=row.model,
        provider=row.provider,
        prompt=None
        if row.prompt_name is None
        else PromptRef(name=row.prompt_name, version=row.prompt_version, label=row.prompt_label),
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost=cost,
        currency=row.currency if cost is not None else None,
        ttft_ms=row.ttft_ms,
        flags=list(row.flags or []),
    )
