"""Scores: what evaluators, judges, people and online evaluation said about generations.

:func:`record_scores` stores rows in one transaction; :func:`list_scores` reads them.
A score belongs to a project and usually to a generation; a run's scores also name the
run and the case. ``source`` says who scored: ``evaluator`` (a rule), ``judge`` (a
model), ``human`` (a reviewer), ``online`` (online evaluation of production traffic) or
``evaluation`` (an evaluation run).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from promptyard.domain.errors import ValidationFailed
from promptyard.services.context import Core
from promptyard.store.models import SqlScore

SOURCES = frozenset({"evaluator", "judge", "human", "online", "evaluation"})
_MAX_REASON = 20_000


def _row(
    core: Core, raw: dict[str, Any], project_id: int | None, created_by: str
) -> dict[str, Any]:
    project = raw.get("project_id", project_id)
    if project is None:
        raise ValidationFailed("a score needs a project_id")
    source = raw.get("source") or "evaluator"
    if source not in SOURCES:
        raise ValidationFailed(f"score source {source!r}: one of {', '.join(sorted(SOURCES))}")
    value = raw.get("value")
    details = dict(raw.get("details") or {})
    if raw.get("kind"):
        details.setdefault("kind", raw["kind"])
    reason = raw.get("reason")
    return {
        "project_id": int(project),
        "generation_id": raw.get("generation_id"),
        "name": str(raw["name"])[:200],
        "value": None if value is None else float(value),
        "passed": raw.get("passed"),
        "reason": None if reason is None else str(reason)[:_MAX_REASON],
        "source": source,
        "cost": raw.get("cost"),
        "run_id": raw.get("run_id"),
        "case_id": raw.get("case_id"),
        "details": details,
        "created_by": str(raw.get("created_by") or created_by)[:400],
        "created_at": raw.get("created_at") or core.clock(),
    }


def record_scores(
    core: Core,
    rows: list[dict[str, Any]],
    *,
    project_id: int | None = None,
    created_by: str = "system",
) -> int:
    """Store score rows (keys: ``project_id`` (or the keyword), ``name``, ``value``,
    ``passed``, ``reason``, ``source``, ``generation_id``, ``run_id``, ``case_id``,
    ``cost``, ``details``, ``kind``, ``created_by``) in one transaction; returns how many."""
    if not rows:
        return 0
    values = [_row(core, raw, project_id, created_by) for raw in rows]
    with core.store.write() as session:
        session.execute(insert(SqlScore), values)
    return len(values)


def add_scores(
    core: Core,
    session: Session,
    rows: list[dict[str, Any]],
    *,
    project_id: int | None = None,
    created_by: str = "system",
) -> list[int]:
    """:func:`record_scores` inside the caller's write transaction; the new rows' ids."""
    added = [SqlScore(**_row(core, raw, project_id, created_by)) for raw in rows]
    session.add_all(added)
    session.flush()
    return [row.id for row in added]


def score_public(row: SqlScore) -> dict[str, Any]:
    return {
        "id": row.id,
        "generation_id": row.generation_id,
        "name": row.name,
        "value": row.value,
        "passed": row.passed,
        "reason": row.reason,
        "source": row.source,
        "cost": row.cost,
        "run_id": row.run_id,
        "case_id": row.case_id,
        "details": row.details or {},
        "created_by": row.created_by,
        "created_at": row.created_at,
    }


def list_scores(
    core: Core,
    *,
    project_id: int,
    generation_id: str | None = None,
    run_id: int | None = None,
    name: str | None = None,
    source: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """A project's scores, newest first, filtered."""
    query = select(SqlScore).where(SqlScore.project_id == project_id)
    if generation_id is not None:
        query = query.where(SqlScore.generation_id == generation_id)
    if run_id is not None:
        query = query.where(SqlScore.run_id == run_id)
    if name is not None:
        query = query.where(SqlScore.name == name)
    if source is not None:
        query = query.where(SqlScore.source == source)
    with core.store.read() as session:
        rows = session.scalars(query.order_by(SqlScore.id.desc()).limit(limit)).all()
        return [score_public(row) for row in rows]
