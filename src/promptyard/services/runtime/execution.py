"""Running prompts on models: render, call the provider, record the generation.

A run names its model as ``<connection>/<model>``: ``openai-prod/gpt-4o-mini`` calls
the workspace's provider connection ``openai-prod``; ``fake/echo`` works everywhere (a
built-in connection of the deterministic ``fake`` kind, unless the workspace defines its
own connection named ``fake``). One request may hold up to :data:`MAX_RUNS` runs (several
models, several versions): they are rendered together, called in parallel within each
connection's concurrency limit, and each becomes a stored generation.

Three steps, each where it belongs: :func:`prepare` renders (CPU, in the render pool,
under its deadline), :func:`run` / :func:`stream` call the provider (on the event loop,
through ``calling``: retries, timeouts, cancellation), and the generation is recorded
(database, in a worker thread).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from promptyard.domain.errors import NotFound, ProviderFailed, ValidationFailed
from promptyard.domain.schemas import parse_content
from promptyard.domain.templates import Deadline
from promptyard.plugins.api import (
    ChatRequest,
    ChatResult,
    Finished,
    Provider,
    ProviderConnection,
    ProviderError,
    TextDelta,
)
from promptyard.services.context import Core, TTLCache
from promptyard.services.prompts.lookup import load_prompt, make_resolver, resolve_selector
from promptyard.services.prompts.rendering import Rendered, render_content
from promptyard.services.runtime import calling, connections
from promptyard.services.runtime.schemas import ExecuteInput
from promptyard.services.telemetry import generations
from promptyard.services.telemetry.schemas import GenerationIn
from promptyard.store.models import SqlProviderConnection

MAX_RUNS = 8
FAKE = "fake"
FAKE_MODELS = ("echo", "upper", "json", "tools")
#: Keys of a prompt's stored config that choose the model, not parameters sent to it.
_NOT_PARAMS = frozenset({"model", "provider", "models"})


@dataclass
class Prepared:
    """One run, rendered and ready for its provider."""

    index: int
    model_ref: str
    connection: ProviderConnection
    provider: Provider
    request: ChatRequest
    rendered: Rendered
    prompt_name: str | None = None
    prompt_version: int | None = None
    prompt_label: str | None = None
    dimensions: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """What a run produced (or how it failed), as the API answers it."""

    prepared: Prepared
    result: ChatResult | None
    latency_ms: float
    ttft_ms: float | None
    generation_id: str
    error: ProviderError | None = None
    #: The caller went away before the provider answered.
    cancelled: bool = False
    #: The cost as the stored generation has it (its prices and the workspace's
    #: overrides), once recorded; None while unknown.
    cost: dict[str, Any] | None = None

    def public(self) -> dict[str, Any]:
        p, result = self.prepared, self.result
        usage = result.usage if result is not None else None
        input_tokens = usage.input_tokens if usage and usage.input_tokens is not None else 0
        output_tokens = usage.output_tokens if usage and usage.output_tokens is not None else 0
        cost = self.cost
        return {
            "index": p.index,
            "generation_id": self.generation_id,
            "model": p.model_ref,
            "provider": p.connection.kind,
            "connection": p.connection.name,
            "prompt": None
            if p.prompt_name is None
            else {"name": p.prompt_name, "version": p.prompt_version, "label": p.prompt_label},
            "output": result.output if result is not None else "",
            "finish_reason": result.finish_reason if result is not None else None,
            "tool_calls": [
                {"id": c.id, "name": c.name, "arguments": c.arguments}
                for c in (result.tool_calls if result is not None else [])
            ],
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
                "cached_tokens": usage.cached_tokens if usage else None,
                "reasoning_tokens": usage.reasoning_tokens if usage else None,
            },
            "cost": cost,
            "cost_usd": None if cost is None else cost["total"],
            "latency_ms": round(self.latency_ms, 3),
            "ttft_ms": None if self.ttft_ms is None else round(self.ttft_ms, 3),
            "rendered": p.rendered,
            "error": None
            if self.error is None
            else {"code": "provider_error", "message": self.error.message},
        }


# -- models --------------------------------------------------------------------------------


def list_models(core: Core, workspace_id: int) -> list[dict[str, str]]:
    """``fake/*`` and every configured model of the workspace's connections."""
    found = [
        {"id": f"{FAKE}/{name}", "provider": FAKE, "name": f"{name} (fake provider)"}
        for name in FAKE_MODELS
    ]
    with core.store.read() as session:
        rows = session.scalars(
            select(SqlProviderConnection)
            .where(SqlProviderConnection.workspace_id == workspace_id)
            .order_by(SqlProviderConnection.name)
        )
        for row in rows:
            if row.name == FAKE:
                continue
            for model in row.models or []:
                found.append({"id": f"{row.name}/{model}", "provider": row.kind, "name": model})
    return found


# -- step 1: render ------------------------------------------------------------------------


def _messages(rendered: Rendered) -> list[dict[str, Any]]:
    if isinstance(rendered, str):
        return [{"role": "user", "content": rendered}]
    return [dict(message) for message in rendered]


def _runs(body: ExecuteInput) -> list[tuple[str, int | None]]:
    models = body.models or ([body.model] if body.model else [])
    if not models:
        raise ValidationFailed("give 'model' (<connection>/<model>, e.g. fake/echo) or 'models'")
    versions: list[int | None] = list(body.versions) if body.versions else [body.version]
    runs = [(model, version) for version in versions for model in models]
    if len(runs) > MAX_RUNS:
        raise ValidationFailed(
            f"{len(runs)} runs asked ({len(models)} models x {len(versions)} versions); "
            f"at most {MAX_RUNS} per request"
        )
    if body.versions and body.prompt is None:
        raise ValidationFailed("'versions' needs 'prompt' (a stored prompt)")
    return runs


#: Resolved connections (key decrypted) are kept this long: a run does not read and
#: decrypt its connection every time; a changed connection applies within this delay.
CONNECTION_SECONDS = 2.0
_CONNECTIONS = TTLCache(ttl=CONNECTION_SECONDS, max_entries=1000)


def _connection(core: Core, workspace_id: int, name: str) -> tuple[ProviderConnection, Any]:
    key = (id(core.store), workspace_id, name)
    cached = _CONNECTIONS.get(key)
    if cached is not None:
        found: tuple[ProviderConnection, Any] = cached
        return found
    try:
        resolved = connections.resolve(core, workspace_id, name)
        found = resolved.connection, resolved.default_params
    except NotFound:
        if name != FAKE:
            raise ValidationFailed(
                f"unknown provider connection {name!r} in model '{name}/...'; "
                "GET /api/v1/models lists what can run here"
            ) from None
        found = ProviderConnection(name=FAKE, kind=FAKE, timeout_seconds=60.0), {}
    _CONNECTIONS.put(key, found)
    return found


def prepare(
    core: Core,
    *,
    workspace_id: int,
    project_id: int,
    body: ExecuteInput,
    deadline: Deadline | None = None,
) -> list[Prepared]:
    """Render every run of ``body``; raises a domain error for the caller's mistakes."""
    runs = _runs(body)
    prepared: list[Prepared] = []
    cache: dict[int | None, tuple[Rendered, str | None, int | None, dict[str, Any]]] = {}
    with core.store.read() as session:
        resolver = make_resolver(session, project_id)
        for index, (model_ref, version) in enumerate(runs):
            if version not in cache:
                cache[version] = _render(
                    core, session, project_id, body, version, resolver, deadline
                )
            rendered, name, number, config = cache[version]
            connection_name, _, model = model_ref.partition("/")
            if not connection_name or not model:
                raise ValidationFailed(
                    f"model {model_ref!r}: write it as <connection>/<model>, e.g. fake/echo"
                )
            connection, defaults = _connection(core, workspace_id, connection_name)
            provider = core.providers.get(connection.kind)
            if provider is None:
                raise ValidationFailed(
                    f"connection {connection.name!r} is of kind {connection.kind!r}, "
                    "which no installed plugin provides"
                )
            params = {**defaults, **{k: v for k, v in config.items() if k not in _NOT_PARAMS}}
            prepared.append(
                Prepared(
                    index=index,
                    model_ref=model_ref,
                    connection=connection,
                    provider=provider,
                    request=ChatRequest(
                        model=model,
                        messages=_messages(rendered),
                        params=params,
                        tools=body.tools,
                        tool_choice=body.tool_choice,
                        response_format=body.response_format,
                    ),
                    rendered=rendered,
                    prompt_name=name,
                    prompt_version=number,
                    prompt_label=body.label if version is None else None,
                    dimensions={
                        "trace_id": body.trace_id,
                        "user_id": body.user_id,
                        "session_id": body.session_id,
                        "feature": body.feature,
                        "tags": list(body.tags),
                    },
                )
            )
    return prepared


def _render(
    core: Core,
    session: Any,
    project_id: int,
    body: ExecuteInput,
    version: int | None,
    resolver: Any,
    deadline: Deadline | None,
) -> tuple[Rendered, str | None, int | None, dict[str, Any]]:
    if body.content is not None:
        try:
            parsed = parse_content(body.type or "text", body.content)
        except ValueError as exc:
            raise ValidationFailed(str(exc)) from None
        run_type: str = body.type or "text"
        config, name, number = dict(body.config or {}), None, None
    elif body.prompt is not None:
        row = load_prompt(session, project_id, body.prompt)
        selected = resolve_selector(session, row, version=version, label=body.label)
        parsed, run_type = selected.content, selected.type
        config = {**selected.config, **(body.config or {})}
        name, number = body.prompt, selected.number
    else:
        raise ValidationFailed("give either 'prompt' (a stored prompt) or 'content'")
    rendered = render_content(core, run_type, parsed, body.variables, resolver, deadline)
    return rendered, name, number, config


# -- step 2: call, step 3: record ----------------------------------------------------------


def _caller_error(error: ProviderError) -> ValidationFailed | ProviderFailed:
    if error.caller_error:
        return ValidationFailed(
            f"the provider refused the request: {error.message}", code="provider_rejected"
        )
    return ProviderFailed(error.message, details={"status": error.status})


async def _record(core: Core, project_id: int, outcome: Outcome, started_at: Any) -> None:
    p, result = outcome.prepared, outcome.result
    usage = result.usage if result is not None else None
    generation = GenerationIn(
        id=outcome.generation_id,
        prompt_name=p.prompt_name,
        prompt_version=p.prompt_version,
        prompt_label=p.prompt_label,
        provider=p.connection.kind,
        model=p.request.model,
        input_tokens=usage.input_tokens if usage else None,
        output_tokens=usage.output_tokens if usage else None,
        cached_tokens=usage.cached_tokens if usage else None,
        reasoning_tokens=usage.reasoning_tokens if usage else None,
        latency_ms=min(outcome.latency_ms, 86_400_000.0),
        ttft_ms=None if outcome.ttft_ms is None else min(outcome.ttft_ms, 86_400_000.0),
        start_time=started_at,
        status="cancelled" if outcome.cancelled else "ok" if outcome.error is None else "error",
        error=None if outcome.error is None else outcome.error.message[:4000],
        input=p.request.messages,
        output=result.output if result is not None else None,
        metadata={"connection": p.connection.name},
        **{k: v for k, v in p.dimensions.items() if v not in (None, [])},
    )
    row = await run_in_threadpool(
        generations.record,
        core,
        project_id,
        generation,
        source="execute",
        prompt_known=p.prompt_name is not None,
    )
    if row["input_cost"] is not None:
        outcome.cost = {
            "input": row["input_cost"],
            "output": row["output_cost"],
            "total": row["input_cost"] + row["output_cost"],
            "currency": row["currency"],
            "source": row["price_source"],
        }


def _out_of_time(p: Prepared, limit: float) -> ProviderError:
    return ProviderError(
        f"connection {p.connection.name!r}: no answer within {limit:g} s, retries included "
        "(PROMPTYARD_EXECUTE_TIMEOUT_SECONDS)",
        retryable=False,
    )


async def _measured(
    core: Core,
    project_id: int,
    p: Prepared,
    body: Callable[[Outcome, float], Awaitable[None]],
) -> Outcome:
    """Run ``body(outcome, started)`` (the provider call) timed, within the execute
    timeout, and record the generation; a provider failure is recorded too and kept in
    the outcome (``error``), never raised. A cancelled run is recorded as such."""
    started_at = core.clock()
    started = time.perf_counter()
    outcome = Outcome(p, None, 0.0, None, uuid.uuid4().hex)
    limit = core.settings.execute_timeout_seconds
    try:
        async with asyncio.timeout(limit):
            await body(outcome, started)
    except ProviderError as exc:
        outcome.error = exc
    except TimeoutError:
        outcome.error = _out_of_time(p, limit)
    except asyncio.CancelledError:
        await _record_cancelled(core, project_id, outcome, started_at, started)
        raise
    outcome.latency_ms = (time.perf_counter() - started) * 1000
    await _record(core, project_id, outcome, started_at)
    return outcome


async def run(core: Core, project_id: int, prepared: Prepared) -> Outcome:
    """Call the provider for one run (the whole answer) and record it."""

    async def call(outcome: Outcome, _started: float) -> None:
        p = prepared
        outcome.result = await calling.call(p.provider, p.connection, p.request)

    return await _measured(core, project_id, prepared, call)


async def _record_cancelled(
    core: Core, project_id: int, outcome: Outcome, started_at: Any, started: float
) -> None:
    """Record a run whose caller went away (the provider call was cancelled)."""
    outcome.cancelled = True
    outcome.latency_ms = (time.perf_counter() - started) * 1000
    await asyncio.shield(_record(core, project_id, outcome, started_at))


async def run_all(core: Core, project_id: int, prepared: list[Prepared]) -> list[Outcome]:
    return list(await asyncio.gather(*(run(core, project_id, p) for p in prepared)))


def raise_for(outcome: Outcome) -> None:
    """A single run's provider failure as the error the API answers (4xx or 502)."""
    if outcome.error is not None:
        raise _caller_error(outcome.error)


async def stream(
    core: Core, project_id: int, prepared: list[Prepared]
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Server-sent events of every run, interleaved as they come: ``delta``
    (``{"index", "text"}``), then per run ``done`` (the run's answer) or ``error``."""
    queue: asyncio.Queue[tuple[str, dict[str, Any]] | None] = asyncio.Queue()

    async def one(p: Prepared) -> None:
        async def consume(outcome: Outcome, started: float) -> None:
            async for event in calling.stream(p.provider, p.connection, p.request):
                if isinstance(event, TextDelta):
                    if outcome.ttft_ms is None:
                        outcome.ttft_ms = (time.perf_counter() - started) * 1000
                    await queue.put(("delta", {"index": p.index, "text": event.text}))
                elif isinstance(event, Finished):
                    outcome.result = event.result

        outcome = await _measured(core, project_id, p, consume)
        if outcome.error is None:
            await queue.put(("done", outcome.public()))
        else:
            error = _caller_error(outcome.error)
            await queue.put(
                (
                    "error",
                    {
                        "index": p.index,
                        "generation_id": outcome.generation_id,
                        "error": {"code": error.code, "message": error.message},
                    },
                )
            )

    async def all_runs() -> None:
        try:
            await asyncio.gather(*(one(p) for p in prepared))
        finally:
            await queue.put(None)

    task = asyncio.create_task(all_runs())
    try:
        while (item := await queue.get()) is not None:
            yield item
    finally:
        if not task.done():  # the caller went away: cancel every provider call
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
