"""Evaluation runs: a prompt's variants (versions or labels x models) over one dataset
version, each case repeated, every output scored.

- :func:`create_run` checks the request, resolves the variants, counts the cost before
  anything starts (:func:`estimate`; ``dry_run`` stops there), and stores the run
  ``queued`` with one pending item per case x variant x repetition.
- ``runs_exec.execute`` (a background job, or a test's direct call) works through the
  pending items: each becomes a generation linked to the run, with its scores.
- :func:`cancel_run` stops it between calls; :func:`resume_run` queues what is still
  pending (each item runs exactly once: items are unique per run and finished once).
- Results, comparison and trend: ``runs_results``.

Bounds: a run has at most ``evaluation_max_items`` items (cases x sweep combinations x
variants x repetitions); a larger one is refused with ``run_too_large``.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import func, insert, select, update

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import Conflict, NotFound, ValidationFailed
from promptyard.plugins.api import ChatRequest, Provider, ProviderConnection
from promptyard.services.context import Core
from promptyard.services.evaluation import datasets, evaluators, sweeps
from promptyard.services.evaluation.runs_schemas import (
    DryRunPublic,
    RunCreate,
    RunEstimatePublic,
    RunProgressPublic,
    RunPublic,
    RunsPublic,
    RunVariantEstimate,
    RunVariantPublic,
)
from promptyard.services.prompts.lookup import load_prompt, make_resolver, resolve_selector
from promptyard.services.prompts.rendering import Rendered, render_content
from promptyard.services.runtime import execution
from promptyard.services.runtime.schemas import ExecuteInput
from promptyard.services.telemetry import generations, pricing, tokens
from promptyard.store.models import (
    SqlEvaluationRun,
    SqlEvaluationRunItem,
    SqlProject,
)

#: Cases rendered to count input tokens for the estimate; a larger dataset's count is
#: scaled from them.
ESTIMATE_SAMPLE = 200
#: Output tokens assumed per call when neither ``max_tokens`` nor an expected output
#: says more (see docs/evaluation.md, "Cost estimate").
DEFAULT_OUTPUT_TOKENS = 200
MAX_VARIANTS = 16
FINISHED = ("cancelled", "completed", "failed")
_INSERT_CHUNK = 2000


# -- variants and cases ------------------------------------------------------------------


@dataclass
class Variant:
    """One prompt version x model, resolved: what every item of it renders and sends."""

    index: int
    version: int | None
    label: str | None
    model: str
    resolved_version: int
    type: str = "text"
    content: Any = None
    connection: ProviderConnection | None = None
    provider: Provider | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        picked = f"v{self.resolved_version}"
        if self.label is not None:
            picked = f"{self.label} (v{self.resolved_version})"
        return f"{picked} · {self.model}"

    def public(self) -> RunVariantPublic:
        return RunVariantPublic(
            index=self.index,
            version=self.version,
            label=self.label,
            model=self.model,
            resolved_version=self.resolved_version,
            title=self.title,
        )

    def stored(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "label": self.label,
            "model": self.model,
            "resolved_version": self.resolved_version,
        }

    def request(self, rendered: Rendered) -> ChatRequest:
        messages = (
            [{"role": "user", "content": rendered}]
            if isinstance(rendered, str)
            else [dict(m) for m in rendered]
        )
        assert self.connection is not None
        return ChatRequest(
            model=self.model.partition("/")[2], messages=messages, params=dict(self.params)
        )


@dataclass(frozen=True)
class Case(datasets.Case):
    """A case of the expanded dataset (a sweep multiplies the dataset's cases): its
    position in the run, ``index``."""

    index: int = 0


def split_dataset(value: str, version: int | None) -> tuple[str, int | None]:
    """``qa@3`` → ``("qa", 3)``; a version in the name and a different one given: 422."""
    name, _, pinned = value.partition("@")
    if pinned:
        number = int(pinned)
        if version is not None and version != number:
            raise ValidationFailed(
                f"dataset {value!r} pins version {number} but dataset_version is {version}"
            )
        return name, number
    return name, version


def expand_cases(raw_cases: list[Any], sweep: dict[str, list[Any]]) -> list[Case]:
    """The dataset's cases, each once per combination of the sweep's values (their
    cartesian product, merged over the case's own input); case ids get ``#k``."""
    combos = sweeps.expand(sweep)
    cases: list[Case] = []
    for raw in raw_cases:
        for k, combo in enumerate(combos):
            case_id = str(raw.id) if not sweep else f"{raw.id}#{k}"
            cases.append(
                Case(
                    index=len(cases),
                    id=case_id,
                    input={**dict(raw.input or {}), **combo},
                    expected=raw.expected,
                    metadata={**dict(raw.metadata or {}), **({"sweep": combo} if sweep else {})},
                )
            )
    return cases


def workspace_of(core: Core, project_id: int) -> int:
    with core.store.read() as session:
        workspace_id = session.execute(
            select(SqlProject.workspace_id).where(SqlProject.id == project_id)
        ).scalar_one_or_none()
    if workspace_id is None:
        raise NotFound(f"project {project_id} not found")
    return int(workspace_id)


def resolve_variants(
    core: Core,
    *,
    workspace_id: int,
    project_id: int,
    prompt: str,
    stored: list[dict[str, Any]],
    params: dict[str, Any],
    first_input: dict[str, Any],
) -> list[Variant]:
    """Load each variant's version and connection; renders the first case through
    :func:`execution.prepare` so a broken template or unknown model fails here (422)."""
    variants: list[Variant] = []
    for index, spec in enumerate(stored):
        with core.store.read() as session:
            row = load_prompt(session, project_id, prompt)
            selected = resolve_selector(
                session, row, version=spec.get("resolved_version"), label=None
            )
            content, type_, config = selected.content, selected.type, dict(selected.config)
        model = spec.get("model") or config.get("model")
        if not isinstance(model, str) or "/" not in model:
            raise ValidationFailed(
                f"variant {index}: give 'models' (<connection>/<model>, e.g. fake/echo); "
                f"version {selected.number} has no configured model of that form"
            )
        prepared = execution.prepare(
            core,
            workspace_id=workspace_id,
            project_id=project_id,
            body=ExecuteInput(
                prompt=prompt,
                version=selected.number,
                model=model,
                variables=first_input,
                config=params or None,
            ),
        )[0]
        variants.append(
            Variant(
                index=index,
                version=spec.get("version"),
                label=spec.get("label"),
                model=model,
                resolved_version=selected.number,
                type=type_,
                content=content,
                connection=prepared.connection,
                provider=prepared.provider,
                params=dict(prepared.request.params),
            )
        )
    return variants


def _selectors(body: RunCreate) -> list[tuple[int | None, str | None]]:
    picked: list[tuple[int | None, str | None]] = [(v, None) for v in body.versions or []]
    picked += [(None, label) for label in body.labels or []]
    return picked or [(None, "latest")]


def _stored_variants(core: Core, project_id: int, body: RunCreate) -> list[dict[str, Any]]:
    stored: list[dict[str, Any]] = []
    with core.store.read() as session:
        row = load_prompt(session, project_id, body.prompt)
        for version, label in _selectors(body):
            selected = resolve_selector(session, row, version=version, label=label)
            models: list[str | None] = [*body.models] if body.models else [None]
            for model in models:
                stored.append(
                    {
                        "version": version,
                        "label": label,
                        "model": model or selected.config.get("model"),
                        "resolved_version": selected.number,
                    }
                )
    if len(stored) > MAX_VARIANTS:
        raise ValidationFailed(
            f"{len(stored)} variants (versions/labels x models); at most {MAX_VARIANTS}",
            code="run_too_large",
        )
    return stored


# -- rendering and the cache key ---------------------------------------------------------


def render_case(
    core: Core, session: Any, project_id: int, variant: Variant, case: Case
) -> Rendered:
    resolver = make_resolver(session, project_id)
    return render_content(core, variant.type, variant.content, case.input, resolver)


def cache_key(variant: Variant, request: ChatRequest, repetition: int) -> str:
    """Same rendered messages, model, parameters and repetition number: same key."""
    payload = orjson.dumps(
        {
            "messages": request.messages,
            "model": variant.model,
            "params": request.params,
            "repetition": repetition,
        },
        option=orjson.OPT_SORT_KEYS,
        default=str,
    )
    return hashlib.sha256(payload).hexdigest()


# -- the estimate ------------------------------------------------------------------------


def _rates(core: Core, workspace_id: int, variant: Variant) -> pricing.Rates | None:
    assert variant.connection is not None
    model = variant.model.partition("/")[2]
    return generations.rates_for(core, workspace_id, variant.connection.kind, model)


def _count(variant: Variant, value: str | list[dict[str, Any]]) -> int:
    """Tokens as the variant's provider will count them: the fake provider's own count
    (a quarter of the characters, rounded up: no encoding loaded for it), else
    ``telemetry.tokens`` (tiktoken's encodings, offline)."""
    model = variant.model.partition("/")[2]
    if variant.connection is not None and variant.connection.kind == execution.FAKE:
        if isinstance(value, str):
            return math.ceil(len(value) / 4)
        return math.ceil(sum(len(str(m.get("content") or "")) for m in value) / 4)
    if isinstance(value, str):
        return tokens.count_text(model, value)
    return tokens.count_input(model, value)


def _output_tokens(variant: Variant, case: Case) -> tuple[int, str]:
    max_tokens = variant.params.get("max_tokens") or variant.params.get("max_output_tokens")
    if isinstance(max_tokens, int) and max_tokens > 0:
        return max_tokens, "max_tokens"
    if case.expected:
        return _count(variant, case.expected), "expected"
    return DEFAULT_OUTPUT_TOKENS, "default"


def estimate(
    core: Core,
    *,
    workspace_id: int,
    project_id: int,
    variants: list[Variant],
    cases: list[Case],
    repetitions: int,
) -> RunEstimatePublic:
    """Input tokens of the rendered prompts (up to :data:`ESTIMATE_SAMPLE` cases rendered,
    scaled to all), output tokens from ``max_tokens`` (an upper bound), else the expected
    output, else :data:`DEFAULT_OUTPUT_TOKENS`; priced as generations are."""
    sample = cases[:ESTIMATE_SAMPLE]
    scale = len(cases) / len(sample) if sample else 0.0
    per_variant: list[RunVariantEstimate] = []
    bases: set[str] = set()
    for variant in variants:
        sample_in = sample_out = 0
        with core.store.read() as session:
            for case in sample:
                try:
                    rendered = render_case(core, session, project_id, variant, case)
                except ValidationFailed:
                    continue  # the run records this case as failed
                sample_in += _count(variant, variant.request(rendered).messages)
                out, basis = _output_tokens(variant, case)
                sample_out += out
                bases.add(basis)
        input_tokens = round(sample_in * scale) * repetitions
        output_tokens = round(sample_out * scale) * repetitions
        rates = _rates(core, workspace_id, variant)
        cost = None
        if rates is not None:
            cost = pricing.cost_of(rates, input_tokens, output_tokens, None)
        per_variant.append(
            RunVariantEstimate(
                index=variant.index,
                model=variant.model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cost=None if cost is None else round(cost.input + cost.output, 6),
                price_known=rates is not None,
            )
        )
    known = [v.cost for v in per_variant if v.cost is not None]
    return RunEstimatePublic(
        items=len(cases) * len(variants) * repetitions,
        cases=len(cases),
        variants=per_variant,
        input_tokens=sum(v.input_tokens for v in per_variant),
        output_tokens=sum(v.output_tokens for v in per_variant),
        cost=round(sum(known), 6) if known else None,
        output_basis="+".join(sorted(bases)) or "none",
        sampled_cases=len(sample),
    )


# -- create ------------------------------------------------------------------------------


def _check_evaluators(core: Core, body: RunCreate) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    names: set[str] = set()
    for given in body.evaluators:
        spec = evaluators.EvaluatorSpec(
            kind=given.kind, name=given.name or given.kind, config=dict(given.config)
        )
        evaluators.validate_spec(spec, core)
        if spec.name in names:
            raise ValidationFailed(
                f"two evaluators named {spec.name!r}: give each a distinct 'name'"
            )
        names.add(spec.name)
        specs.append({"kind": spec.kind, "name": spec.name, "config": spec.config})
    return specs


def load_cases(
    core: Core, project_id: int, name: str, version: int | None, sweep: dict[str, list[Any]]
) -> tuple[Any, list[Case]]:
    found = datasets.get_dataset_version(core, project_id, name, version)
    return found, expand_cases(list(found.cases), sweep)


def create_run(
    core: Core, *, ctx: RequestContext, project_id: int, body: RunCreate
) -> RunPublic | DryRunPublic:
    """Check, resolve and estimate a run; store it queued (unless ``dry_run``)."""
    specs = _check_evaluators(core, body)
    sweep = dict(body.sweep or {})
    name, version = split_dataset(body.dataset, body.dataset_version)
    dataset, cases = load_cases(core, project_id, name, version, sweep)
    if not cases:
        raise ValidationFailed(f"dataset {name!r} version {dataset.version} has no cases")
    stored = _stored_variants(core, project_id, body)
    limit = core.settings.evaluation_max_items
    items = len(cases) * len(stored) * body.repetitions
    if items > limit:
        raise ValidationFailed(
            f"{items} calls ({len(cases)} cases x {len(stored)} variants x "
            f"{body.repetitions} repetitions); at most {limit} per run "
            "(PROMPTYARD_EVALUATION_MAX_ITEMS)",
            code="run_too_large",
            details={"items": items, "limit": limit},
        )
    workspace_id = workspace_of(core, project_id)
    params = dict(body.params or {})
    variants = resolve_variants(
        core,
        workspace_id=workspace_id,
        project_id=project_id,
        prompt=body.prompt,
        stored=stored,
        params=params,
        first_input=cases[0].input,
    )
    found = estimate(
        core,
        workspace_id=workspace_id,
        project_id=project_id,
        variants=variants,
        cases=cases,
        repetitions=body.repetitions,
    )
    if body.dry_run:
        return DryRunPublic(variants=[v.public() for v in variants], estimate=found)
    now = core.clock()
    with core.store.write() as session:
        run = SqlEvaluationRun(
            project_id=project_id,
            name=body.name,
            prompt_name=body.prompt,
            variants=stored,
            dataset_name=dataset.name,
            dataset_version=dataset.version,
            evaluators=specs,
            repetitions=body.repetitions,
            params=params,
            sweep=sweep,
            use_cache=body.use_cache,
            concurrency=body.concurrency,
            status="queued",
            total_items=items,
            done_items=0,
            failed_items=0,
            cached_items=0,
            estimate=found.model_dump(mode="json"),
            actual_cost=0.0,
            created_by=ctx.actor.ref,
            created_at=now,
        )
        session.add(run)
        session.flush()
        rows = (
            {
                "run_id": run.id,
                "project_id": project_id,
                "case_index": case.index,
                "case_id": case.id[:128],
                "variant": variant.index,
                "repetition": repetition,
                "status": "pending",
                "cached": False,
                "scores": {},
            }
            for case in cases
            for variant in variants
            for repetition in range(body.repetitions)
        )
        while chunk := list(itertools.islice(rows, _INSERT_CHUNK)):
            session.execute(insert(SqlEvaluationRunItem), chunk)
        run_id = run.id
    return get_run(core, project_id=project_id, run_id=run_id)


# -- read, cancel, resume ----------------------------------------------------------------


def public(run: SqlEvaluationRun) -> RunPublic:
    variants = []
    for index, spec in enumerate(run.variants):
        v = Variant(
            index=index,
            version=spec.get("version"),
            label=spec.get("label"),
            model=spec.get("model") or "",
            resolved_version=spec.get("resolved_version") or 0,
        )
        variants.append(v.public())
    finished = run.done_items + run.failed_items
    return RunPublic(
        id=run.id,
        name=run.name,
        prompt=run.prompt_name,
        variants=variants,
        dataset={"name": run.dataset_name, "version": run.dataset_version},
        evaluators=list(run.evaluators),
        repetitions=run.repetitions,
        params=dict(run.params or {}),
        sweep=dict(run.sweep or {}),
        use_cache=run.use_cache,
        concurrency=run.concurrency,
        status=run.status,  # type: ignore[arg-type]
        progress=RunProgressPublic(
            total=run.total_items,
            done=run.done_items,
            failed=run.failed_items,
            cached=run.cached_items,
            percent=round(100.0 * finished / run.total_items, 2) if run.total_items else 100.0,
        ),
        estimate=dict(run.estimate or {}),
        actual_cost=round(run.actual_cost or 0.0, 8),
        error=run.error,
        created_by=run.created_by,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        summary=run.summary,
    )


def load_run(session: Any, project_id: int, run_id: int) -> SqlEvaluationRun:
    run = session.get(SqlEvaluationRun, run_id)
    if run is None or run.project_id != project_id:
        raise NotFound(f"evaluation run {run_id} not found", details={"id": run_id})
    return run


def get_run(core: Core, *, project_id: int, run_id: int) -> RunPublic:
    with core.store.read() as session:
        return public(load_run(session, project_id, run_id))


def list_runs(
    core: Core,
    *,
    project_id: int,
    prompt: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> RunsPublic:
    where = [SqlEvaluationRun.project_id == project_id]
    if prompt is not None:
        where.append(SqlEvaluationRun.prompt_name == prompt)
    if status is not None:
        where.append(SqlEvaluationRun.status == status)
    with core.store.read() as session:
        total = session.execute(select(func.count()).where(*where)).scalar_one()
        rows = session.scalars(
            select(SqlEvaluationRun)
            .where(*where)
            .order_by(SqlEvaluationRun.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return RunsPublic(items=[public(r) for r in rows], total=int(total))


def cancel_run(core: Core, *, project_id: int, run_id: int) -> RunPublic:
    """Stop a queued or running run; the call in flight finish, the rest stay pending."""
    with core.store.write() as session:
        run = load_run(session, project_id, run_id)
        if run.status in FINISHED:
            raise Conflict(f"evaluation run {run_id} is already {run.status}", code="run_finished")
        run.status = "cancelled"
        run.finished_at = core.clock()
    return get_run(core, project_id=project_id, run_id=run_id)


def resume_run(core: Core, *, project_id: int, run_id: int) -> RunPublic:
    """Queue a cancelled (or failed) run again: only its pending items run."""
    with core.store.write() as session:
        run = load_run(session, project_id, run_id)
        if run.status not in ("cancelled", "failed"):
            raise Conflict(
                f"evaluation run {run_id} is {run.status}: only a cancelled or failed run "
                "can be resumed",
                code="run_not_resumable",
            )
        run.status = "queued"
        run.finished_at = None
        run.error = None
        run.summary = None
    return get_run(core, project_id=project_id, run_id=run_id)


def claim(core: Core, run_id: int, *, stale_seconds: float) -> bool:
    """Take a queued run (or a running one nobody has touched for ``stale_seconds``)
    for this process: True when it is now ours to execute."""
    from datetime import timedelta

    now = core.clock()
    stale = now - timedelta(seconds=stale_seconds)
    with core.store.write() as session:
        result = session.execute(
            update(SqlEvaluationRun)
            .where(
                SqlEvaluationRun.id == run_id,
                (SqlEvaluationRun.status == "queued")
                | (
                    (SqlEvaluationRun.status == "running") & (SqlEvaluationRun.heartbeat_at < stale)
                ),
            )
            .values(
                status="running",
                heartbeat_at=now,
                started_at=func.coalesce(SqlEvaluationRun.started_at, now),
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))


def claimable(core: Core, *, stale_seconds: float, limit: int) -> list[int]:
    """Runs waiting for an executor, oldest first."""
    from datetime import timedelta

    stale = core.clock() - timedelta(seconds=stale_seconds)
    with core.store.read() as session:
        return [
            int(i)
            for i in session.scalars(
                select(SqlEvaluationRun.id)
                .where(
                    (SqlEvaluationRun.status == "queued")
                    | (
                        (SqlEvaluationRun.status == "running")
                        & (SqlEvaluationRun.heartbeat_at < stale)
                    )
                )
                .order_by(SqlEvaluationRun.id)
                .limit(limit)
            )
        ]
