"""Rollups against raw generations: the ``db check`` step and its repair.

:func:`check_rollups` compares, per project and UTC day, the day rollups' calls, errors,
tokens and cost with the raw generations, and the hour, minute and per-user rollups'
totals with the day rollups'. It reads every raw row once (a check, not a dashboard).
:func:`rebuild_rollups` recomputes them from the raw rows and feedback
(``promptyard analytics rebuild``, or ``promptyard db check --repair``).
:func:`check_experiment_rollups` does the same for online experiments' rollups (each
experiment's generations and errors per variant and day), and its repair rebuilds the
experiments found wrong.

A project whose raw generations were pruned by retention (``services/telemetry/
retention.py``) records the day they were deleted before in its settings
(:data:`PRUNED_BEFORE_SETTING`): its rollups are compared with raw rows only from that
day on, and the repair rebuilds only projects that were never pruned (a rebuild from raw
rows would drop the aggregates retention keeps).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, and_, case, cast, func, or_, select

from promptyard.domain.errors import Conflict
from promptyard.services.analytics import experiment_rollups, rollups
from promptyard.services.context import Core
from promptyard.services.operations import integrity as operations_integrity
from promptyard.services.operations.integrity import Finding
from promptyard.store.models import (
    SqlDimRollup,
    SqlExperiment,
    SqlExperimentRollup,
    SqlGeneration,
    SqlProject,
    SqlRollup,
)

#: Project setting (epoch seconds, a UTC midnight): raw generations before it were
#: deleted by retention, their rollups kept.
PRUNED_BEFORE_SETTING = "generations_pruned_before"

_MEASURES = ("calls", "errors", "input_tokens", "output_tokens", "cost")
#: Costs are float sums added in another order: equal within this relative tolerance.
_TOLERANCE = 1e-6


def _raw_day(core: Core) -> Any:
    """A generation's UTC day as epoch seconds, in SQL."""
    g = SqlGeneration
    if core.store.is_sqlite:
        return cast(func.strftime("%s", func.substr(g.start_time, 1, 10)), Integer)
    return cast(
        func.extract("epoch", func.date_trunc("day", func.timezone("UTC", g.start_time))),
        BigInteger,
    )


def _raw_by_day(core: Core) -> dict[tuple[int, int], tuple[float, ...]]:
    g = SqlGeneration
    day = _raw_day(core)
    cost = func.coalesce(g.input_cost, 0.0) + func.coalesce(g.output_cost, 0.0)
    statement = select(
        g.project_id,
        day.label("day"),
        func.count(),
        func.sum(case((g.status == "error", 1), else_=0)),
        func.sum(func.coalesce(g.input_tokens, 0)),
        func.sum(func.coalesce(g.output_tokens, 0)),
        func.sum(cost),
    ).group_by(g.project_id, day)
    with core.store.read() as session:
        return {
            (int(row[0]), int(row[1])): tuple(float(v or 0) for v in row[2:])
            for row in session.execute(statement)
        }


def _rollup_by_day(
    core: Core, model: Any, grain: str, dim: str | None = None
) -> dict[tuple[int, int], tuple[float, ...]]:
    day = model.bucket - model.bucket % 86400
    statement = (
        select(model.project_id, day, *(func.sum(getattr(model, m)) for m in _MEASURES))
        .where(model.grain == grain)
        .group_by(model.project_id, day)
    )
    if dim is not None:
        statement = statement.where(model.dim == dim)
    with core.store.read() as session:
        return {
            (int(row[0]), int(row[1])): tuple(float(v or 0) for v in row[2:])
            for row in session.execute(statement)
        }


def pruned_before(core: Core) -> dict[int, int]:
    """Project id → the day (epoch seconds) before which retention deleted raw rows."""
    with core.store.read() as session:
        rows = session.execute(select(SqlProject.id, SqlProject.settings)).all()
    found = {}
    for project_id, settings in rows:
        at = (settings or {}).get(PRUNED_BEFORE_SETTING)
        if isinstance(at, int):
            found[int(project_id)] = at
    return found


def _differences(
    want: dict[tuple[int, int], tuple[float, ...]],
    got: dict[tuple[int, int], tuple[float, ...]],
    table: str,
    what: str,
    pruned: dict[int, int] | None = None,
) -> list[Finding]:
    findings = []
    pruned = pruned or {}
    for key in sorted(set(want) | set(got)):
        if key[1] < pruned.get(key[0], key[1]):
            continue  # retention deleted this day's raw rows; its rollups stay
        a = want.get(key, (0.0,) * len(_MEASURES))
        b = got.get(key, (0.0,) * len(_MEASURES))
        for name, expected, found in zip(_MEASURES, a, b, strict=True):
            if abs(expected - found) > _TOLERANCE * max(1.0, abs(expected)):
                day = key[1]
                findings.append(
                    Finding(
                        table=table,
                        row_id=key[0],
                        column=name,
                        where=f"project {key[0]}, day {_day(day)} ({what})",
                        problem=(
                            f"{name} is {found:g} in the rollups, {expected:g} in the raw "
                            "rows: run `promptyard analytics rebuild`"
                        ),
                        repairable=True,
                    )
                )
    return findings


def _day(at: int) -> str:
    return datetime.fromtimestamp(at, tz=UTC).date().isoformat()


def check_rollups(core: Core) -> list[Finding]:
    """Where the rollups disagree with the raw generations (empty: they agree), once the
    generations stored and not yet counted are (:func:`rollups.roll_up`)."""
    rollups.roll_up(core)
    raw = _raw_by_day(core)
    pruned = pruned_before(core)
    day = _rollup_by_day(core, SqlRollup, "day")
    findings = _differences(raw, day, "analytics_rollups", "day rollups vs raw rows", pruned)
    for grain in ("hour", "minute"):
        finer = _rollup_by_day(core, SqlRollup, grain)
        against = day
        if grain == "minute":  # minute rows are pruned: compare the days wholly kept
            cutoff = rollups.minute_cutoff(
                core.clock(), core.settings.analytics_minute_retention_hours
            )
            first_day = -(-cutoff // 86400) * 86400
            finer = {key: value for key, value in finer.items() if key[1] >= first_day}
            against = {key: value for key, value in day.items() if key[1] >= first_day}
        findings += _differences(against, finer, "analytics_rollups", f"{grain} vs day rollups")
        if grain == "hour":
            small = _rollup_by_day(core, SqlDimRollup, grain, "all")
            findings += _differences(
                day, small, "analytics_dim_rollups", f"{grain} 'all' vs day rollups"
            )
    for dim in ("all", "total", "feature"):
        small_day = _rollup_by_day(core, SqlDimRollup, "day", dim)
        findings += _differences(
            raw, small_day, "analytics_dim_rollups", f"day {dim!r} vs raw", pruned
        )
    return findings


def check_user_rollups(core: Core) -> list[Finding]:
    """The per-user day rollups against the raw rows that name a user (counted first,
    as in :func:`check_rollups`)."""
    rollups.roll_up(core)
    g, r = SqlGeneration, SqlDimRollup
    pruned = pruned_before(core)
    raw_kept = or_(
        g.project_id.not_in(list(pruned)),
        *(
            and_(g.project_id == p, g.start_time >= datetime.fromtimestamp(t, tz=UTC))
            for p, t in pruned.items()
        ),
    )
    rollup_kept = or_(
        r.project_id.not_in(list(pruned)),
        *(and_(r.project_id == p, r.bucket >= t) for p, t in pruned.items()),
    )
    statement = select(func.count()).where(g.user_id.is_not(None), g.user_id != "", raw_kept)
    findings = []
    with core.store.read() as session:
        with_user = int(session.scalar(statement) or 0)
        for dim in ("user", "user_total"):
            counted = int(
                session.scalar(
                    select(func.coalesce(func.sum(r.calls), 0)).where(
                        r.grain == "day", r.dim == dim, rollup_kept
                    )
                )
                or 0
            )
            if with_user != counted:
                findings.append(
                    Finding(
                        table="analytics_dim_rollups",
                        row_id=0,
                        column="calls",
                        where=f"{dim!r} day rollups",
                        problem=f"{counted} calls by user in the rollups, {with_user} raw "
                        "rows with a user: run `promptyard analytics rebuild`",
                        repairable=True,
                    )
                )
    return findings


def rebuild_rollups(core: Core, project_id: int | None = None, *, force: bool = False) -> int:
    """Recompute the rollups from raw rows and feedback in one transaction (writers wait
    on SQLite; on PostgreSQL run it when ingest is quiet); how many rows were counted.

    A project whose raw rows retention deleted keeps the aggregates of those days only in
    its rollups: rebuilding it would drop them, so that is refused unless ``force``."""
    pruned = pruned_before(core)
    lost = sorted(pruned) if project_id is None else [p for p in (project_id,) if p in pruned]
    if lost and not force:
        since = min(pruned[p] for p in lost)
        day = datetime.fromtimestamp(since, UTC).date().isoformat()
        raise Conflict(
            f"retention deleted raw generations before {day} in project id(s) "
            f"{', '.join(map(str, lost))}: a rebuild from the rows left would drop those days' "
            "aggregates; rebuild another project, or force it knowing they will be lost"
        )
    with core.store.write() as session:
        return rollups.rebuild(session, project_id)


def check_experiment_rollups(core: Core) -> list[Finding]:
    """Online experiments' rollups against the raw rows: per project, experiment, variant
    and UTC day, the generations (``n`` of ``error_rate``) and errors (its ``total``).
    Days before a project's retention cut-off are left out, as above."""
    g, r = SqlGeneration, SqlExperimentRollup
    day = _raw_day(core)
    raw_statement = (
        select(
            g.project_id,
            g.experiment_id,
            g.variant,
            day,
            func.count(),
            func.sum(case((g.status == "error", 1), else_=0)),
        )
        .where(g.experiment_id.is_not(None))
        .group_by(g.project_id, g.experiment_id, g.variant, day)
    )
    kept_statement = select(r.project_id, r.experiment_id, r.variant, r.day, r.n, r.total).where(
        r.metric == "error_rate"
    )
    with core.store.read() as session:
        raw: dict[tuple[int, int, str, str], tuple[float, float]] = {}
        for p, e, v, d, n, errors in session.execute(raw_statement):
            key = (int(p), int(e), str(v or ""), _day(int(d)))  # no variant: "" as at ingest
            before = raw.get(key, (0.0, 0.0))
            raw[key] = (before[0] + float(n), before[1] + float(errors or 0))
        kept = {
            (int(p), int(e), str(v), str(d)): (float(n), float(total))
            for p, e, v, d, n, total in session.execute(kept_statement)
        }
    pruned = {project: _day(at) for project, at in pruned_before(core).items()}
    findings = []
    for key in sorted(set(raw) | set(kept)):
        project_id, experiment_id, variant, on = key
        if project_id in pruned and on < pruned[project_id]:
            continue  # retention deleted this day's raw rows; its rollups stay
        want, got = raw.get(key, (0.0, 0.0)), kept.get(key, (0.0, 0.0))
        for name, expected, found in zip(("generations", "errors"), want, got, strict=True):
            if expected != found:
                findings.append(
                    Finding(
                        table="experiment_rollups",
                        row_id=experiment_id,
                        column="n" if name == "generations" else "total",
                        where=f"project {project_id}, experiment {experiment_id}, "
                        f"variant {variant!r}, day {on}",
                        problem=f"{found:g} {name} in the rollups, {expected:g} in the raw "
                        "rows: run `promptyard db check --repair`",
                        repairable=project_id not in pruned,
                    )
                )
    return findings


def repair_experiment_rollups(core: Core) -> list[Finding]:
    """Rebuild the rollups of each experiment found wrong (not in a project retention
    pruned: its kept days would be lost); the findings before, marked repaired, and any
    left."""
    found = check_experiment_rollups(core)
    pruned = pruned_before(core)
    with core.store.read() as session:
        owners = dict(session.execute(select(SqlExperiment.id, SqlExperiment.project_id)).all())
    wrong = sorted({finding.row_id for finding in found if finding.repairable})
    for experiment_id in wrong:
        project_id = owners.get(experiment_id)
        if project_id is None or project_id in pruned:
            continue
        with core.store.write() as session:
            experiment_rollups.rebuild(session.connection(), project_id, experiment_id)
    left = check_experiment_rollups(core)
    return [
        dataclasses.replace(finding, repaired=True) for finding in found if finding not in left
    ] + left


def check(core: Core) -> list[Finding]:
    """Both checks (the ``db check`` step)."""
    return check_rollups(core) + check_user_rollups(core)


def repair(core: Core) -> list[Finding]:
    """Rebuild the rollups; the problems found before, marked repaired (and any left)."""
    found = check(core)
    pruned = pruned_before(core)
    if not pruned:
        rebuild_rollups(core)
    else:  # a rebuild from raw rows would drop the aggregates retention keeps
        with core.store.read() as session:
            projects = session.execute(select(SqlProject.id)).scalars().all()
        for project_id in projects:
            if project_id not in pruned:
                rebuild_rollups(core, project_id)
    left = check(core)
    return [dataclasses.replace(finding, repaired=True) for finding in found] + left


def install(core: Core) -> None:
    """Make ``promptyard db check`` verify the rollups and ``--repair`` rebuild them."""
    operations_integrity.CHECKS["analytics rollups"] = check
    operations_integrity.REPAIRS["analytics rollups"] = repair
    operations_integrity.CHECKS["experiment rollups"] = check_experiment_rollups
    operations_integrity.REPAIRS["experiment rollups"] = repair_experiment_rollups
