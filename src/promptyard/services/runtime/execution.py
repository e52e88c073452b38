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
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import orjson
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
from promptyard.services.prompts.lookup import (
    load_prompt,
    make_resolver,
    prompt_key,
    resolve_selector,
)
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


@dataclass
class _Run:
    """One run of a request: its model and what it renders."""

    model_ref: str
    version: int | None = None
    label: str | None = None
    content: Any = None
    type: str | None = None
    config: dict[str, Any] | None = None


def _listed_runs(body: ExecuteInput) -> list[_Run]:
    """The runs of a request that lists them (``runs``), checked."""
    assert body.runs is not None
    beside = (body.model, body.models, body.versions, body.version, body.content)
    if any(value is not None for value in beside):
        raise ValidationFailed(
            "'runs' lists every run on its own: give model, version and content in "
            "each run, not beside 'runs'"
        )
    found = []
    for index, spec in enumerate(body.runs):
        if spec.content is None and body.prompt is None:
            raise ValidationFailed(f"runs[{index}]: give 'content', or 'prompt' beside 'runs'")
        if spec.content is not None and (spec.version is not None or spec.label is not None):
            raise ValidationFailed(
                f"runs[{index}]: give either 'content' or a version/label, not both"
            )
        if spec.version is not None and spec.label is not None:
            raise ValidationFailed(f"runs[{index}]: give either 'version' or 'label'")
        label = spec.label
        if spec.content is None and spec.version is None and label is None:
            label = body.label
        found.append(_Run(spec.model, spec.version, label, spec.content, spec.type, spec.config))
    return found


def _runs(body: ExecuteInput) -> list[_Run]:
    if body.runs is not None:
        return _listed_runs(body)
    models = body.models or ([body.model] if body.model else [])
    if not models:
        raise ValidationFailed(
            "give 'model' (<connection>/<model>, e.g. fake/echo), 'models' or 'runs'"
        )
    versions: list[int | None] = list(body.versions) if body.versions else [body.version]
    if len(models) * len(versions) > MAX_RUNS:
        raise ValidationFailed(
            f"{len(models) * len(versions)} runs asked ({len(models)} models x "
            f"{len(versions)} versions); at most {MAX_RUNS} per request"
        )
    if body.versions and body.prompt is None:
        raise ValidationFailed("'versions' needs 'prompt' (a stored prompt)")
    return [
        _Run(model, version, body.label if version is None else None, body.content, body.type)
        for version in versions
        for model in models
    ]


#: Resolved connections (key decrypted) are kept this long: a run does not read and
#: decrypt its connection every time; a changed connection applies within this delay.
CONNECTION_SECONDS = 2.0
_CONNECTIONS = TTLCache(ttl=CONNECTION_SECONDS, max_entries=1000)


class CacheMiss(Exception):
    """:func:`prepare` with ``cache_only`` needed the database or the renderer."""


def _connection(
    core: Core, workspace_id: int, name: str, cache_only: bool = False
) -> tuple[ProviderConnection, Any]:
    key = (id(core.store), workspace_id, name)
    cached = _CONNECTIONS.get(key)
    if cached is not None:
        found: tuple[ProviderConnection, Any] = cached
        return found
    if cache_only:
        raise CacheMiss
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


class _Reads:
    """The database session and include resolver of one :func:`prepare`, opened on
    first use (never, when everything is cached); with ``cache_only`` a use is a miss."""

    def __init__(self, core: Core, project_id: int, stack: ExitStack, cache_only: bool):
        self.core, self.project_id, self.stack, self.cache_only = (
            core,
            project_id,
            stack,
            cache_only,
        )
        self._session: Any = None
        self._resolver: Any = None
        #: whether the last render resolved an include (``prompt:NAME@...``)
        self.included = False

    def session(self) -> Any:
        if self.cache_only:
            raise CacheMiss
        if self._session is None:
            self._session = self.stack.enter_context(self.core.store.read())
        return self._session

    def resolver(self) -> Any:
        if self._resolver is None:
            inner = make_resolver(self.session(), self.project_id)

            def resolve(ref: Any) -> str:
                self.included = True
                return inner(ref)

            self._resolver = resolve
        return self._resolver


def prepare(
    core: Core,
    *,
    workspace_id: int,
    project_id: int,
    body: ExecuteInput,
    deadline: Deadline | None = None,
    cache_only: bool = False,
) -> list[Prepared]:
    """Render every run of ``body``; raises a domain error for the caller's mistakes.

    With ``cache_only`` it reads nothing and renders nothing (it raises
    :class:`CacheMiss` instead): the caller can then skip the render pool, as a
    repeated run of a stored version with the same variables needs neither.
    """
    runs = _runs(body)
    prepared: list[Prepared] = []
    renders: dict[Any, tuple[Rendered, str | None, int | None, dict[str, Any]]] = {}
    with ExitStack() as stack:
        reads = _Reads(core, project_id, stack, cache_only)
        for index, spec in enumerate(runs):
            # runs of one version share its rendering; unsaved content renders per run
            what = (spec.version, spec.label) if spec.content is spec.config is None else index
            if what not in renders:
                renders[what] = _render(core, reads, project_id, body, spec, deadline)
            rendered, name, number, config = renders[what]
            connection_name, _, model = spec.model_ref.partition("/")
            if not connection_name or not model:
                raise ValidationFailed(
                    f"model {spec.model_ref!r}: write it as <connection>/<model>, e.g. fake/echo"
                )
            connection, defaults = _connection(core, workspace_id, connection_name, cache_only)
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
                    model_ref=spec.model_ref,
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
                    prompt_label=spec.label if number is not None else None,
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


@dataclass(frozen=True)
class _Selected:
    content: Any
    type: str
    config: dict[str, Any]
    number: int
    content_hash: str


def _selected(
    core: Core, reads: _Reads, project_id: int, name: str, version: int | None, label: str | None
) -> _Selected:
    """The version a run names, through ``core.cache`` (dropped by every write of the
    prompt, its labels included): a repeated run reads no prompt, label or version row."""
    key = prompt_key(project_id, name)
    view = ("execute", version, label)
    cached: _Selected | None = core.cache.get(key, view)
    if cached is not None:
        return cached
    session = reads.session()
    generation = core.cache.generation(key)
    row = load_prompt(session, project_id, name)
    selected = resolve_selector(session, row, version=version, label=label)
    found = _Selected(
        selected.content,
        selected.type,
        dict(selected.config),
        selected.number,
        selected.content_hash,
    )
    core.cache.put(key, view, found, generation)
    return found


#: Rendered stored versions by (content hash, variables): the same type, content and
#: config render the same, whatever database or prompt they come from, unless they
#: include another prompt (those renderings are not kept). Bounded in entries and in
#: the size of what is kept.
RENDER_CACHE_ENTRIES = 2048
_RENDER_CACHE_MAX_BYTES = 16_384
_RENDERS: OrderedDict[tuple[Any, ...], Rendered] = OrderedDict()
_RENDERS_LOCK = threading.Lock()


def _render_key(content_hash: str, variables: dict[str, Any]) -> tuple[Any, ...] | None:
    try:
        encoded = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return None
    if len(encoded) > _RENDER_CACHE_MAX_BYTES:
        return None
    return (content_hash, encoded)


def _keep_render(key: tuple[Any, ...], rendered: Rendered) -> None:
    size = len(rendered) if isinstance(rendered, str) else len(orjson.dumps(rendered))
    if size > _RENDER_CACHE_MAX_BYTES:
        return
    with _RENDERS_LOCK:
        _RENDERS[key] = rendered
        if len(_RENDERS) > RENDER_CACHE_ENTRIES:
            _RENDERS.popitem(last=False)


def _render(
    core: Core,
    reads: _Reads,
    project_id: int,
    body: ExecuteInput,
    spec: _Run,
    deadline: Deadline | None,
) -> tuple[Rendered, str | None, int | None, dict[str, Any]]:
    extra = {**(body.config or {}), **(spec.config or {})}
    if spec.content is not None:
        try:
            parsed = parse_content(spec.type or "text", spec.content)
        except ValueError as exc:
            raise ValidationFailed(str(exc)) from None
        if reads.cache_only:
            raise CacheMiss
        resolver = reads.resolver()
        rendered = render_content(
            core, spec.type or "text", parsed, body.variables, resolver, deadline
        )
        return rendered, None, None, extra
    if body.prompt is None:
        raise ValidationFailed("give either 'prompt' (a stored prompt) or 'content'")
    selected = _selected(core, reads, project_id, body.prompt, spec.version, spec.label)
    config = {**selected.config, **extra}
    key = _render_key(selected.content_hash, body.variables)
    hit = None if key is None else _RENDERS.get(key)
    if hit is not None:
        return hit, body.prompt, selected.number, config
    if reads.cache_only:
        raise CacheMiss
    resolver = reads.resolver()
    reads.included = False
    rendered = render_content(
        core, selected.type, selected.content, body.variables, resolver, deadline
    )
    if key is not None and not reads.included:
        _keep_render(key, rendered)
    return rendered, body.prompt, selected.number, config


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
