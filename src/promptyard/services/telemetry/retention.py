"""Retention of raw generations: a project keeps its generation rows for a number of
days (a project setting; unset: forever); the scheduler's ``generation_retention`` job
deletes older rows. Rollups keep the aggregates of the deleted days (dashboards, budgets
and the costs view still show them); nothing else is touched (spans, feedback, scores,
evaluation runs keep their rows, and a pruned generation's id simply stops resolving).

Rows go by whole UTC days: the cutoff is midnight ``days`` days ago, and before deleting
the job records it in the project's settings (``PRUNED_BEFORE_SETTING``, epoch seconds)
so that ``db check`` compares rollups with raw rows only from that day on. Each run
deletes at most ``MAX_ROWS_PER_RUN`` rows in batches of ``BATCH_ROWS`` (one short write
transaction each); the next run continues.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import Input, request_examples
from promptyard.services.analytics import rollups
from promptyard.services.analytics.integrity import PRUNED_BEFORE_SETTING
from promptyard.services.context import Core
from promptyard.services.identity.projects import set_project_setting
from promptyard.services.operations import audit
from promptyard.store.models import SqlGeneration, SqlProject, SqlRollupMark

#: The project setting: days raw generations are kept (absent or null: forever).
RETENTION_SETTING = "generation_retention_days"
MAX_DAYS = 36_500
BATCH_ROWS = 5_000
MAX_ROWS_PER_RUN = 200_000


class RetentionSettings(BaseModel):
    generation_days: int | None = Field(
        description="days raw generations are kept (whole UTC days); null: forever"
    )
    pruned_before: datetime | None = Field(
        description="raw generations that started before this were deleted (rollups keep "
        "their aggregates); null: none deleted yet"
    )


class RetentionSettingsUpdate(Input):
    model_config = request_examples({"generation_days": 90})

    generation_days: int | None = Field(
        ge=1, le=MAX_DAYS, description="days to keep raw generations; null: forever"
    )


def _settings_of(stored: dict[str, Any]) -> RetentionSettings:
    pruned = stored.get(PRUNED_BEFORE_SETTING)
    return RetentionSettings(
        generation_days=stored.get(RETENTION_SETTING),
        pruned_before=None if pruned is None else datetime.fromtimestamp(pruned, tz=UTC),
    )


def get_settings(core: Core, *, project_id: int) -> RetentionSettings:
    with core.store.read() as session:
        project = session.get(SqlProject, project_id)
        stored = (project.settings or {}) if project is not None else {}
    return _settings_of(stored)


def set_settings(
    core: Core, *, ctx: RequestContext, project_id: int, data: RetentionSettingsUpdate
) -> RetentionSettings:
    with core.store.write() as session:
        set_project_setting(session, project_id, RETENTION_SETTING, data.generation_days)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="generation_retention.update",
            object_type="project",
            object_id=str(project_id),
            summary={"generation_days": data.generation_days},
        )
        project = session.get(SqlProject, project_id)
        assert project is not None
        return _settings_of(project.settings or {})


def cutoff(now: datetime, days: int) -> datetime:
    """Midnight UTC ``days`` days before today's: rows that started before it go, so
    at least ``days`` whole days are always kept."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=days)


def prune(core: Core, *, max_rows: int = MAX_ROWS_PER_RUN) -> int:
    """Delete raw generations older than their project's retention (the scheduler's
    step); how many rows were deleted."""
    now = core.clock()
    with core.store.read() as session:
        projects = [
            (row.id, (row.settings or {}).get(RETENTION_SETTING))
            for row in session.execute(select(SqlProject)).scalars()
        ]
    deleted = 0
    for project_id, days in projects:
        if not isinstance(days, int) or days < 1:
            continue
        before = cutoff(now, days)
        _mark(core, project_id, before)
        rollups.roll_up(core, [project_id])  # the rollups keep what goes
        while deleted < max_rows:
            done = _delete_batch(core, project_id, before, min(BATCH_ROWS, max_rows - deleted))
            deleted += done
            if done == 0:
                break
    return deleted


def _mark(core: Core, project_id: int, before: datetime) -> None:
    """Record that rows before ``before`` are being deleted (never moves back)."""
    epoch = int(before.timestamp())
    with core.store.read() as session:
        project = session.get(SqlProject, project_id)
        known = (project.settings or {}).get(PRUNED_BEFORE_SETTING) if project else None
    if known is not None and known >= epoch:
        return
    with core.store.write() as session:
        set_project_setting(session, project_id, PRUNED_BEFORE_SETTING, epoch)


def _delete_batch(core: Core, project_id: int, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` rows that started before ``before`` and that the rollups
    already count (a row stored since is deleted on a later run, once counted)."""
    g, m = SqlGeneration, SqlRollupMark
    counted = (
        select(func.coalesce(func.max(m.rolled_pk), 0))
        .where(m.project_id == project_id)
        .scalar_subquery()
    )
    with core.store.write() as session:
        pks = (
            session.execute(
                select(g.pk)
                .where(g.project_id == project_id, g.start_time < before, g.pk <= counted)
                .order_by(g.start_time)
                .limit(limit)
            )
            .scalars()
            .all()
        )
        if pks:
            session.execute(delete(g).where(g.pk.in_(pks)))
    return len(pks)


def run(core: Core) -> str:
    """The scheduled job: prune, and say what it did."""
    deleted = prune(core)
    return f"{deleted:,} raw generation(s) past their project's retention deleted"
