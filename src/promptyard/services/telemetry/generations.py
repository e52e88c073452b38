"""The generation record: ingest (one call or a batch of 1,000) and reading it back.

Each reported item is checked on its own: a bad one is rejected with a message naming
the field, the others are stored. Repeating an id (or an external id) stores nothing new
and answers ``duplicate``, so an app may resend a batch after a timeout. Rows carry
``flags`` for what is not plain truth: counts estimated here, a model with no known
price (cost stays unknown, never 0), a prompt the registry does not hold, text cut at
the size cap.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy import update as sql_update

from promptyard.domain.errors import NotFound, ValidationFailed
from promptyard.domain.schemas import first_error
from promptyard.services.analytics import rollups
from promptyard.services.context import Core, TTLCache
from promptyard.services.telemetry import pricing, tokens
from promptyard.services.telemetry.events import GenerationQuery, event_store
from promptyard.services.telemetry.metrics import COUNTERS
from promptyard.services.telemetry.schemas import (
    BatchItemResult,
    BatchResultPublic,
    CostPublic,
    FeedbackPublic,
    GenerationIn,
    GenerationPage,
    GenerationPublic,
    GenerationSummary,
    PromptRef,
    UsagePublic,
)
from promptyard.store.models import (
    SqlFeedback,
    SqlGeneration,
    SqlPriceOverride,
    SqlProject,
    SqlPrompt,
    SqlVersion,
)

#: A start time further ahead than this is refused (clock skew is tolerated).
MAX_CLOCK_SKEW = timedelta(minutes=5)
UNKNOWN_PROMPT = "unknown_prompt"
UNKNOWN_VERSION = "unknown_prompt_version"
INPUT_CUT = "input_truncated"
OUTPUT_CUT = "output_truncated"
TEXT_NOT_STORED = "text_not_stored"
NO_TOKENS = "no_token_counts"
#: The project setting that turns off storing generation text.
STORE_TEXT_SETTING = "store_generation_text"

_PRICES = pricing.PriceBook()


@dataclass
class _Context:
    """What a batch needs to know about its project, read once."""

    project_id: int
    slug: str
    store_text: bool
    overrides: dict[str, list[pricing.Override]]
    prompts: dict[str, int]  # name -> highest version number


def ingest(
    core: Core,
    project_id: int,
    items: Sequence[Any],
    *,
    source: str = "api",
    storable_checked: bool = False,
) -> BatchResultPublic:
    """Check, price and store reported generations; one result per item, in order.

    ``storable_checked``: the items come from a request body already checked for
    unstorable text and numbers as a whole (the batch route's model), so each item's
    check skips that walk."""
    context_flags = {"storable_checked": storable_checked}
    results: list[BatchItemResult] = []
    accepted: list[tuple[int, GenerationIn]] = []
    now = core.clock()
    for index, item in enumerate(items):
        try:
            generation = GenerationIn.model_validate(item, context=context_flags)
            _check(generation, now)
        except ValidationError as exc:
            results.append(_rejected(index, item, first_error(exc, whole="item")))
            continue
        except ValidationFailed as exc:
            results.append(_rejected(index, item, exc.message))
            continue
        accepted.append((index, generation))
        results.append(BatchItemResult(index=index, id=generation.id, status="created"))
    if not accepted:
        return _summary(results)

    for _, generation in accepted:
        if generation.id is None:
            generation.id = uuid.uuid4().hex
    events = event_store(core)
    known_ids, known_external = events.existing_ids(
        project_id,
        [g.id for _, g in accepted if g.id is not None],
        [g.external_id for _, g in accepted if g.external_id is not None],
    )
    context = _context(core, project_id, accepted)
    rows: list[dict[str, Any]] = []
    for index, generation in accepted:
        assert generation.id is not None
        result = results[index]
        result.id = generation.id
        if generation.id in known_ids or (
            generation.external_id is not None and generation.external_id in known_external
        ):
            result.status = "duplicate"
            continue
        known_ids.add(generation.id)
        if generation.external_id is not None:
            known_external.add(generation.external_id)
        row = _row(core, context, generation, now, source)
        result.flags = row["flags"]
        rows.append(row)
    events.append_generations(rows)
    COUNTERS.add_generations(context.slug, rows)
    return _summary(results)


def ingest_checked(
    core: Core, project_id: int, items: Sequence[Any], *, source: str
) -> tuple[int, int]:
    """Store generations a caller built and checked itself (OTLP ingest maps spans
    straight from protobuf, with no per-item validation here): ``items`` have the
    attributes of :class:`GenerationIn`, each with an ``id``. ``(created, duplicates)``.
    Ids already stored (or repeated in ``items``) are skipped, never stored twice."""
    if not items:
        return 0, 0
    now = core.clock()
    events = event_store(core)
    known_ids = events.known_generation_ids(project_id, [g.id for g in items])
    accepted = [(0, g) for g in items]
    context = _context(core, project_id, accepted)
    rows: list[dict[str, Any]] = []
    for generation in items:
        if generation.id in known_ids:
            continue
        assert generation.id is not None
        known_ids.add(generation.id)
        rows.append(_row(core, context, generation, now, source))
    events.append_generations(rows)
    COUNTERS.add_generations(context.slug, rows)
    return len(rows), len(items) - len(rows)


def record(
    core: Core, project_id: int, generation: GenerationIn, *, source: str, prompt_known: bool
) -> dict[str, Any]:
    """Store one generation the server itself made (execute); the stored row (its id,
    tokens, cost and flags as recorded).

    Cheaper than :func:`ingest`: the id is fresh (never a duplicate, so not looked up)
    and, with ``prompt_known``, the prompt version was just read (not looked up either).
    """
    now = core.clock()
    _check(generation, now)
    if generation.id is None:
        generation.id = uuid.uuid4().hex
    context = _context(core, project_id, [(0, generation)], prompts_known=prompt_known)
    row = _row(core, context, generation, now, source)
    event_store(core).append_generations([row])
    COUNTERS.add_generations(context.slug, [row])
    return row


def _check(generation: GenerationIn, now: datetime) -> None:
    if generation.start_time is not None:
        if generation.start_time.tzinfo is None:  # a time without a zone is UTC
            generation.start_time = generation.start_time.replace(tzinfo=UTC)
        if generation.start_time - now > MAX_CLOCK_SKEW:
            raise ValidationFailed("start_time: is in the future (more than 5 minutes ahead)")
    if (
        generation.cached_tokens is not None
        and generation.input_tokens is not None
        and generation.cached_tokens > generation.input_tokens
    ):
        raise ValidationFailed("cached_tokens: exceeds input_tokens (cached tokens are a part)")
    if (
        generation.reasoning_tokens is not None
        and generation.output_tokens is not None
        and generation.reasoning_tokens > generation.output_tokens
    ):
        raise ValidationFailed("reasoning_tokens: exceeds output_tokens (they are a part)")
    if (generation.input_cost is None) != (generation.output_cost is None):
        raise ValidationFailed("input_cost and output_cost: give both or neither")
    if generation.prompt_version is not None and generation.prompt_name is None:
        raise ValidationFailed("prompt_version: needs prompt_name")


def _rejected(index: int, item: Any, message: str) -> BatchItemResult:
    raw_id = item.get("id") if isinstance(item, dict) else None
    return BatchItemResult(
        index=index,
        id=raw_id if isinstance(raw_id, str) and len(raw_id) <= 128 else None,
        status="rejected",
        error=message,
    )


def _summary(results: list[BatchItemResult]) -> BatchResultPublic:
    counts = {"created": 0, "duplicate": 0, "rejected": 0}
    for result in results:
        counts[result.status] += 1
    return BatchResultPublic(
        created=counts["created"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        items=results,
    )


#: A project's workspace, text setting and price overrides, kept for a moment: a batch or
#: a run reads them once, not once per row; a change applies within this many seconds.
PROJECT_INFO_SECONDS = 2.0
_PROJECT_INFO = TTLCache(ttl=PROJECT_INFO_SECONDS)


@dataclass(frozen=True)
class _ProjectInfo:
    slug: str
    store_text: bool
    overrides: dict[str, list[pricing.Override]]


def _project_info(core: Core, project_id: int) -> _ProjectInfo:
    key = (id(core.store), project_id)
    cached = _PROJECT_INFO.get(key)
    if cached is not None:
        info: _ProjectInfo = cached
        return info
    with core.store.read() as session:
        project = session.get(SqlProject, project_id)
        if project is None:
            raise NotFound(f"project {project_id} not found")
        overrides: dict[str, list[pricing.Override]] = {}
        for row in session.scalars(
            select(SqlPriceOverride).where(SqlPriceOverride.workspace_id == project.workspace_id)
        ):
            overrides.setdefault(row.model, []).append(override_of(row))
        store_text = (project.settings or {}).get(STORE_TEXT_SETTING, True) is not False
        info = _ProjectInfo(project.slug, store_text, overrides)
    _PROJECT_INFO.put(key, info)
    return info


def forget_project_info(core: Core, project_id: int | None = None) -> None:
    """Drop what :func:`_project_info` keeps (after a price or setting change here)."""
    if project_id is None:
        _PROJECT_INFO.clear()
    else:
        _PROJECT_INFO.delete((id(core.store), project_id))


def _context(
    core: Core,
    project_id: int,
    accepted: list[tuple[int, GenerationIn]],
    *,
    prompts_known: bool = False,
) -> _Context:
    info = _project_info(core, project_id)
    names = {g.prompt_name for _, g in accepted if g.prompt_name is not None}
    prompts: dict[str, int] = {}
    if prompts_known:
        prompts = {
            g.prompt_name: g.prompt_version or 0 for _, g in accepted if g.prompt_name is not None
        }
    elif names:
        with core.store.read() as session:
            prompts = {
                name: number or 0
                for name, number in session.execute(
                    select(SqlPrompt.name, func.max(SqlVersion.number))
                    .join(SqlVersion, SqlVersion.prompt_id == SqlPrompt.id, isouter=True)
                    .where(SqlPrompt.project_id == project_id, SqlPrompt.name.in_(names))
                    .group_by(SqlPrompt.name)
                )
            }
    return _Context(project_id, info.slug, info.store_text, info.overrides, prompts)


def override_of(row: SqlPriceOverride) -> pricing.Override:
    return pricing.Override(
        provider=row.provider,
        model=row.model,
        rates=pricing.Rates(
            input=row.input_per_mtok,
            output=row.output_per_mtok,
            cached_input=row.cached_input_per_mtok,
            source="override",
            currency=row.currency,
        ),
        effective_from=row.effective_from,
    )


def rates_for(
    core: Core, workspace_id: int, provider: str | None, model: str
) -> pricing.Rates | None:
    """The rates a call of ``model`` on ``provider`` would be priced at now, as ingest
    prices it: the workspace's overrides first, then the bundled table (cost estimates)."""
    with core.store.read() as session:
        rows = list(
            session.scalars(
                select(SqlPriceOverride).where(
                    SqlPriceOverride.workspace_id == workspace_id, SqlPriceOverride.model == model
                )
            )
        )
    overrides = [override_of(row) for row in rows]
    return pricing.pick_override(overrides, provider, core.clock()) or _PRICES.rates(
        provider, model
    )


def _row(
    core: Core, context: _Context, g: GenerationIn, now: datetime, source: str
) -> dict[str, Any]:
    flags: list[str] = []
    start = g.start_time or now
    input_tokens, output_tokens = g.input_tokens, g.output_tokens
    if input_tokens is None and g.input is not None:
        input_tokens = tokens.count_input(g.model, g.input)
        flags.append(tokens.ESTIMATED)
    if output_tokens is None and g.output is not None:
        output_tokens = tokens.count_text(g.model, g.output)
        if tokens.ESTIMATED not in flags:
            flags.append(tokens.ESTIMATED)

    input_cost, output_cost, currency, price_source = g.input_cost, g.output_cost, g.currency, None
    if input_cost is not None:
        currency, price_source = currency or "USD", "reported"
    elif input_tokens is None and output_tokens is None:
        flags.append(NO_TOKENS)
    else:
        rates = None
        if g.model is not None:
            rates = pricing.pick_override(
                context.overrides.get(g.model, []), g.provider, start
            ) or _PRICES.rates(g.provider, g.model)
        if rates is None:
            flags.append(pricing.UNKNOWN_PRICE)
        else:
            cost = pricing.cost_of(rates, input_tokens or 0, output_tokens or 0, g.cached_tokens)
            input_cost, output_cost = cost.input, cost.output
            currency, price_source = cost.currency, cost.source

    if g.prompt_name is not None:
        highest = context.prompts.get(g.prompt_name)
        if highest is None:
            flags.append(UNKNOWN_PROMPT)
        elif g.prompt_version is not None and g.prompt_version > highest:
            flags.append(UNKNOWN_VERSION)

    input_text: str | None = None
    is_chat = isinstance(g.input, list)
    if g.input is not None:
        input_text = g.input if isinstance(g.input, str) else orjson.dumps(g.input).decode()
    output_text = g.output
    cap = core.settings.generation_text_max_chars
    if not context.store_text or cap == 0:
        if input_text is not None or output_text is not None:
            flags.append(TEXT_NOT_STORED)
        input_text = output_text = None
    else:
        for redact in core.redactors:
            input_text = None if input_text is None else redact("input", input_text)
            output_text = None if output_text is None else redact("output", output_text)
        if input_text is not None and len(input_text) > cap:
            input_text = input_text[:cap]
            flags.append(INPUT_CUT)
        if output_text is not None and len(output_text) > cap:
            output_text = output_text[:cap]
            flags.append(OUTPUT_CUT)

    return {
        "project_id": context.project_id,
        "id": g.id,
        "external_id": g.external_id,
        "trace_id": g.trace_id,
        "parent_span_id": g.parent_span_id,
        "prompt_name": g.prompt_name,
        "prompt_version": g.prompt_version,
        "prompt_label": g.prompt_label,
        "provider": g.provider,
        "model": g.model,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cached_tokens": g.cached_tokens,
        "reasoning_tokens": g.reasoning_tokens,
        "input_cost": input_cost,
        "output_cost": output_cost,
        "currency": currency,
        "price_source": price_source,
        "latency_ms": g.latency_ms,
        "ttft_ms": g.ttft_ms,
        "start_time": start,
        "status": g.status,
        "error": g.error,
        "user_id": g.user_id,
        "session_id": g.session_id,
        "feature": g.feature,
        "agent": g.agent,
        "environment": g.environment,
        "tags": list(g.tags),
        "meta": g.metadata,
        "input_text": input_text,
        "input_is_chat": is_chat,
        "output_text": output_text,
        "flags": flags,
        "source": source,
        "created_at": now,
        "experiment_id": g.experiment_id,
        "variant": g.variant,
    }


# -- reading ----------------------------------------------------------------------


def encode_cursor(row: SqlGeneration) -> str:
    raw = f"{row.start_time.isoformat()}|{row.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, pk = raw.split("|")
        return datetime.fromisoformat(at), int(pk)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            "cursor: not a cursor this server gave out; pass next_cursor from the last page"
        ) from None


def list_generations(core: Core, query: GenerationQuery) -> GenerationPage:
    rows = event_store(core).generations(
        GenerationQuery(**{**query.__dict__, "limit": query.limit + 1})
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return GenerationPage(
        items=[summary(row) for row in rows],
        next_cursor=encode_cursor(rows[-1]) if more and rows else None,
    )


def get_generation(core: Core, project_id: int, generation_id: str) -> GenerationPublic:
    events = event_store(core)
    row = events.generation(project_id, generation_id)
    if row is None:
        raise NotFound(f"no generation {generation_id!r} in this project")
    feedback = [feedback_public(f) for f in events.feedback_for(project_id, [row.id])]
    value: str | list[dict[str, Any]] | None = row.input_text
    if row.input_is_chat and row.input_text is not None and INPUT_CUT not in row.flags:
        value = json.loads(row.input_text)
    return GenerationPublic(
        **summary(row).model_dump(),
        metadata=row.meta or {},
        input=value,
        output=row.output_text,
        feedback=feedback,
        experiment_id=row.experiment_id,
        variant=row.variant,
    )


def summary(row: SqlGeneration) -> GenerationSummary:
    cost = None
    if row.input_cost is not None and row.output_cost is not None:
        cost = CostPublic(
            input=row.input_cost,
            output=row.output_cost,
            total=row.input_cost + row.output_cost,
            currency=row.currency or "USD",
            source=row.price_source or "reported",
        )
    flags = list(row.flags or [])
    return GenerationSummary(
        id=row.id,
        external_id=row.external_id,
        trace_id=row.trace_id,
        parent_span_id=row.parent_span_id,
        prompt=None
        if row.prompt_name is None
        else PromptRef(name=row.prompt_name, version=row.prompt_version, label=row.prompt_label),
        provider=row.provider,
        model=row.model,
        usage=UsagePublic(
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            cached_tokens=row.cached_tokens,
            reasoning_tokens=row.reasoning_tokens,
            estimated=tokens.ESTIMATED in flags,
        ),
        cost=cost,
        latency_ms=row.latency_ms,
        ttft_ms=row.ttft_ms,
        start_time=row.start_time,
        status=row.status,  # type: ignore[arg-type]
        error=row.error,
        user_id=row.user_id,
        session_id=row.session_id,
        feature=row.feature,
        agent=row.agent,
        environment=row.environment,
        tags=list(row.tags or []),
        flags=flags,
        source=row.source,
        created_at=row.created_at,
    )


def feedback_public(row: SqlFeedback) -> FeedbackPublic:
    return FeedbackPublic(
        id=row.id,
        generation_id=row.generation_id,
        trace_id=row.trace_id,
        session_id=row.session_id,
        kind=row.kind,  # type: ignore[arg-type]
        value=row.value,
        scale=row.scale,
        comment=row.comment,
        user_id=row.user_id,
        metadata=row.meta or {},
        source=row.source,
        created_by=row.created_by,
        created_at=row.created_at,
    )


# -- prices changed: cost again --------------------------------------------------------

RECOMPUTE_CHUNK = 5000


def recompute_costs(
    core: Core,
    project_id: int,
    *,
    since: datetime,
    until: datetime,
    model: str | None = None,
) -> int:
    """Price again the generations of ``[since, until)`` (those the app did not price
    itself) with today's prices and overrides; how many rows changed."""
    if until <= since:
        raise ValidationFailed("until: must be after since")
    forget_project_info(core, project_id)
    info = _project_info(core, project_id)
    g = SqlGeneration
    conditions = [
        g.project_id == project_id,
        g.start_time >= since,
        g.start_time < until,
        or_(g.price_source.is_(None), g.price_source != "reported"),
    ]
    if model is not None:
        conditions.append(g.model == model)
    changed = 0
    after = 0
    while True:
        with core.store.read() as session:
            rows = session.execute(
                select(
                    g.pk,
                    g.provider,
                    g.model,
                    g.input_tokens,
                    g.output_tokens,
                    g.cached_tokens,
                    g.start_time,
                    g.flags,
                    g.input_cost,
                    g.output_cost,
                    g.price_source,
                )
                .where(*conditions, g.pk > after)
                .order_by(g.pk)
                .limit(RECOMPUTE_CHUNK)
            ).all()
        if not rows:
            return changed
        after = rows[-1].pk
        updates = []
        for row in rows:
            flags = [f for f in (row.flags or []) if f != pricing.UNKNOWN_PRICE]
            if row.input_tokens is None and row.output_tokens is None:
                continue
            rates = None
            if row.model is not None:
                rates = pricing.pick_override(
                    info.overrides.get(row.model, []), row.provider, row.start_time
                ) or _PRICES.rates(row.provider, row.model)
            values: tuple[float | None, float | None, str | None, str | None, list[Any]]
            if rates is None:
                values = (None, None, None, None, [*flags, pricing.UNKNOWN_PRICE])
            else:
                cost = pricing.cost_of(
                    rates, row.input_tokens or 0, row.output_tokens or 0, row.cached_tokens
                )
                values = (cost.input, cost.output, cost.currency, cost.source, flags)
            if values[:2] != (row.input_cost, row.output_cost) or values[3] != row.price_source:
                updates.append({"pk": row.pk, "values": values})
        if updates:
            with core.store.write() as session:
                # the rollups' cost sums move with the rows, in the same transaction
                rollups.adjust_costs(
                    session.connection(),
                    {u["pk"]: rollups.cost_of(*u["values"][:2]) for u in updates},
                )
                for update in updates:
                    input_cost, output_cost, currency, source, flags = update["values"]
                    session.execute(
                        sql_update(g)
                        .where(g.pk == update["pk"])
                        .values(
                            input_cost=input_cost,
                            output_cost=output_cost,
                            currency=currency,
                            price_source=source,
                            flags=flags,
                        )
                    )
            changed += len(updates)
