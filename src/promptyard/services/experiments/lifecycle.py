"""Experiments: design (with the power calculator), start, stop, promote the winner.

Stopping sends all traffic back to the control: a stopped experiment assigns nothing, so
every read gets the label it asked for. Promotion moves the control's label to the
winner's version through ``prompts.versions.set_label`` and so through every label guard;
where governance protects the label it opens a change request instead. Every step is
audited.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    NotFound,
    ValidationFailed,
)
from promptyard.domain.statistics import sample_size_two_means, sample_size_two_proportions
from promptyard.services.context import Core
from promptyard.services.experiments import assignment
from promptyard.services.experiments.schemas import (
    RATE_METRICS,
    DesignIn,
    ExperimentCreate,
    ExperimentPublic,
    PowerPublic,
    PowerRequest,
    PromoteRequest,
    PromotionPublic,
    VariantPublic,
)
from promptyard.services.governance import change_requests
from promptyard.services.operations import audit
from promptyard.services.prompts import versions
from promptyard.services.prompts.lookup import labels_of, load_prompt, project_slug
from promptyard.store.models import SqlExperiment


def public(core: Core, session: Session, row: SqlExperiment) -> ExperimentPublic:
    return ExperimentPublic(
        id=row.id,
        name=row.name,
        project=project_slug(core, session, row.project_id),
        prompt=row.prompt_name,
        description=row.description,
        status=row.status,  # type: ignore[arg-type]
        unit=row.unit,  # type: ignore[arg-type]
        variants=[VariantPublic(**v) for v in row.variants],
        primary_metric=row.primary_metric,
        metrics=list(row.metrics),
        guardrails=list(row.guardrails),
        directions=dict(row.directions),
        design=dict(row.design),
        alpha=row.alpha,
        power=row.power,
        sample_size=row.sample_size,
        stop_reason=row.stop_reason,
        promoted=row.promoted,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
    )


def load(
    session: Session, project_id: int, experiment_id: int, *, for_update: bool = False
) -> SqlExperiment:
    query = select(SqlExperiment).where(
        SqlExperiment.project_id == project_id, SqlExperiment.id == experiment_id
    )
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"experiment {experiment_id} not found", details={"id": experiment_id})
    return row


# -- the power calculator ----------------------------------------------------------


def power(data: PowerRequest) -> PowerPublic:
    """Units per variant to detect ``mde`` (or ``effect_size``) with ``power``."""
    try:
        if data.kind == "proportion":
            if data.baseline is None or data.mde is None:
                raise ValidationFailed("a rate needs its baseline (0 to 1) and mde")
            target = data.baseline + data.mde
            if not 0 <= data.baseline <= 1 or not 0 <= target <= 1:
                raise ValidationFailed("baseline and baseline + mde must be rates between 0 and 1")
            n = sample_size_two_proportions(
                data.baseline, target, alpha=data.alpha, power=data.power
            )
            effect = 2 * math.asin(math.sqrt(target)) - 2 * math.asin(math.sqrt(data.baseline))
            what = f"a change of the rate from {data.baseline:.2%} to {target:.2%}"
        else:
            if data.effect_size is not None:
                effect = data.effect_size
            elif data.sd is not None and data.mde is not None:
                effect = data.mde / data.sd
            else:
                raise ValidationFailed("a mean needs effect_size, or sd and mde")
            n = sample_size_two_means(
                effect, alpha=data.alpha, power=data.power, paired=data.paired
            )
            what = f"a standardised difference of {effect:.3g}"
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    total = n * (1 if data.paired else data.variants)
    days = total / data.daily_units if data.daily_units else None
    unit = "pairs (cases)" if data.paired else "units per variant"
    text = (
        f"{n:,} {unit} detect {what} with {data.power:.0%} power at alpha = {data.alpha:g}"
        f" (two-sided); {total:,} in all"
    )
    if days is not None:
        text += f", about {days:.1f} days at {data.daily_units:,.0f} a day"
    return PowerPublic(
        kind=data.kind, per_variant=n, total=total, effect_size=effect, alpha=data.alpha,
        power=data.power, days=days, text=text + ".",
    )  # fmt: skip


def _sample_size(data: ExperimentCreate) -> int | None:
    design: DesignIn = data.design
    if design.mde is None:
        return None
    rate = data.primary_metric in RATE_METRICS or (
        design.sd is None and design.baseline is not None and 0 <= design.baseline <= 1
    )
    request = PowerRequest(
        kind="proportion" if rate else "mean",
        baseline=design.baseline,
        sd=design.sd,
        mde=design.mde,
        effect_size=None,
        alpha=data.alpha,
        power=data.power,
        variants=len(data.variants),
        daily_units=None,
    )
    return power(request).per_variant


# -- lifecycle -----------------------------------------------------------------------


def create(
    core: Core, *, ctx: RequestContext, project_id: int, data: ExperimentCreate
) -> ExperimentPublic:
    sample_size = _sample_size(data)
    metrics = [m for m in data.metrics if m != data.primary_metric]
    with core.store.write() as session:
        load_prompt(session, project_id, data.prompt)
        clash = session.execute(
            select(SqlExperiment.id).where(
                SqlExperiment.project_id == project_id, SqlExperiment.name == data.name
            )
        ).scalar_one_or_none()
        if clash is not None:
            raise AlreadyExists(f"experiment {data.name!r} already exists", details={"id": clash})
        now = core.clock()
        row = SqlExperiment(
            project_id=project_id,
            name=data.name,
            prompt_name=data.prompt,
            description=data.description,
            status="draft",
            unit=data.unit,
            variants=[v.model_dump() for v in data.variants],
            primary_metric=data.primary_metric,
            metrics=metrics,
            guardrails=list(data.guardrails),
            directions=dict(data.directions),
            design=data.design.model_dump(exclude_none=True),
            alpha=data.alpha,
            power=data.power,
            sample_size=sample_size,
            created_by=ctx.actor.ref,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        _audit(core, session, ctx, row, "experiment.create", {"prompt": data.prompt})
        return public(core, session, row)


def list_experiments(
    core: Core, *, project_id: int, prompt: str | None = None, status: str | None = None
) -> list[ExperimentPublic]:
    with core.store.read() as session:
        query = select(SqlExperiment).where(SqlExperiment.project_id == project_id)
        if prompt is not None:
            query = query.where(SqlExperiment.prompt_name == prompt)
        if status is not None:
            query = query.where(SqlExperiment.status == status)
        rows = session.execute(query.order_by(SqlExperiment.id.desc()).limit(500)).scalars()
        return [public(core, session, row) for row in rows]


def get(core: Core, *, project_id: int, experiment_id: int) -> ExperimentPublic:
    with core.store.read() as session:
        return public(core, session, load(session, project_id, experiment_id))


def start(
    core: Core, *, ctx: RequestContext, project_id: int, experiment_id: int
) -> ExperimentPublic:
    """Start serving the variants. Every variant's label must exist; one running
    experiment per prompt and control label at a time."""
    with core.store.write() as session:
        row = load(session, project_id, experiment_id, for_update=True)
        if row.status != "draft":
            raise Conflict(
                f"experiment {row.name!r} is {row.status}; only a draft starts",
                code="experiment_not_draft",
            )
        prompt = load_prompt(session, project_id, row.prompt_name)
        labels = labels_of(session, prompt.id)
        missing = [v["label"] for v in row.variants if v["label"] not in labels]
        if missing:
            raise ValidationFailed(
                f"prompt {row.prompt_name!r} has no label {', '.join(map(repr, missing))}: "
                "point each variant's label at a version first",
                details={"labels": missing},
            )
        control = row.variants[0]["label"]
        for other in session.execute(
            select(SqlExperiment).where(
                SqlExperiment.project_id == project_id,
                SqlExperiment.prompt_name == row.prompt_name,
                SqlExperiment.status == "running",
            )
        ).scalars():
            if other.variants[0]["label"] == control:
                raise Conflict(
                    f"experiment {other.name!r} already runs on {row.prompt_name}@{control}",
                    code="experiment_running",
                    details={"id": other.id},
                )
        now = core.clock()
        row.status, row.started_at, row.updated_at = "running", now, now
        row.design = {
            **row.design,
            "versions": {v["name"]: labels[v["label"]] for v in row.variants},
        }
        _audit(core, session, ctx, row, "experiment.start", {})
        result = public(core, session, row)
    assignment.invalidate(core)
    return result


def stop(
    core: Core,
    *,
    ctx: RequestContext,
    project_id: int,
    experiment_id: int,
    reason: str | None = None,
) -> ExperimentPublic:
    """Stop: all traffic goes back to the control label at once."""
    with core.store.write() as session:
        row = load(session, project_id, experiment_id, for_update=True)
        result = _stop(core, session, ctx, row, reason or "stopped")
    assignment.invalidate(core)
    return result


def _stop(
    core: Core, session: Session, ctx: RequestContext, row: SqlExperiment, reason: str
) -> ExperimentPublic:
    if row.status == "stopped":
        raise Conflict(f"experiment {row.name!r} is already stopped", code="experiment_stopped")
    now = core.clock()
    row.status, row.stopped_at, row.updated_at, row.stop_reason = "stopped", now, now, reason
    _audit(core, session, ctx, row, "experiment.stop", {"reason": reason})
    return public(core, session, row)


def promote(
    core: Core,
    *,
    ctx: RequestContext,
    project_id: int,
    experiment_id: int,
    data: PromoteRequest,
    winner: str | None = None,
) -> PromotionPublic:
    """Point the control's label at the winning variant's version: directly when the
    label guards allow it, else through a change request (governance). The experiment
    stops (traffic back to the control label, which now serves the winner)."""
    with core.store.read() as session:
        row = load(session, project_id, experiment_id)
        variants = {v["name"]: v for v in row.variants}
        name = data.variant or winner
        if name is None:
            raise Conflict(
                "no variant is better on the primary metric yet: name the variant to promote",
                code="no_winner",
            )
        if name not in variants:
            raise ValidationFailed(
                f"experiment {row.name!r} has no variant {name!r}", details={"variant": name}
            )
        control = row.variants[0]
        if name == control["name"]:
            raise ValidationFailed("the control already serves its label: promote another variant")
        prompt = load_prompt(session, project_id, row.prompt_name)
        labels = labels_of(session, prompt.id)
        version = labels.get(variants[name]["label"])
        if version is None:
            raise Conflict(
                f"label {variants[name]['label']!r} no longer exists", code="label_missing"
            )
        prompt_name, label = row.prompt_name, control["label"]
    applied, request_id = True, None
    try:
        versions.set_label(
            core, ctx=ctx, project_id=project_id, name=prompt_name, label=label, version=version
        )
    except DomainError as exc:
        if getattr(exc, "code", None) != "review_required":
            raise
        opened = change_requests.open_request(
            core,
            ctx=ctx,
            project_id=project_id,
            data=change_requests.ChangeRequestCreate(
                prompt=prompt_name,
                version=version,
                label=label,
                description=data.description
                or f"Promote variant {name!r} of experiment {row.name!r}",
                sample_variables=data.sample_variables,
            ),
        )
        applied, request_id = False, int(opened["id"])
    promoted: dict[str, Any] = {
        "variant": name,
        "label": label,
        "version": version,
        "applied": applied,
        "change_request": request_id,
    }
    with core.store.write() as session:
        row = load(session, project_id, experiment_id, for_update=True)
        row.promoted = promoted
        _audit(core, session, ctx, row, "experiment.promote", promoted)
        if row.status != "stopped":
            result = _stop(core, session, ctx, row, f"promoted {name}")
        else:
            result = public(core, session, row)
    assignment.invalidate(core)
    return PromotionPublic(
        experiment=result, label=label, version=version, applied=applied, change_request=request_id
    )


def _audit(
    core: Core,
    session: Session,
    ctx: RequestContext,
    row: SqlExperiment,
    action: str,
    extra: dict[str, Any],
) -> None:
    audit.append(
        core,
        session,
        ctx=ctx,
        action=action,
        object_type="experiment",
        object_id=str(row.id),
        summary={"name": row.name, "prompt": row.prompt_name, **extra},
    )
