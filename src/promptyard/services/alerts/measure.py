"""The figures alerts compare: traffic read only through analytics' ``window_stats``
(rollups, never raw rows), and evaluation scores' means from the scores' time index
(:func:`score_mean`).

The rollups count whole minutes; ``until`` is taken up to the end of the minute in
progress, so a call made seconds ago already counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select

from promptyard.services.analytics.queries import WindowStats, window_stats
from promptyard.services.context import Core
from promptyard.store.models import SqlGeneration, SqlScore

__all__ = ["WindowStats", "score_mean", "stats"]


def stats(
    core: Core,
    project_ids: Sequence[int],
    *,
    since: datetime,
    until: datetime,
    filters: Mapping[str, str] | None = None,
) -> WindowStats:
    """Calls, errors, cost, latency p95 and feedback of ``[since, until)``, ``until``
    rounded up to a whole minute."""
    minute = until.replace(second=0, microsecond=0)
    if minute != until:
        until = minute + timedelta(minutes=1)
    return window_stats(core, project_ids, since=since, until=until, filters=filters or None)


def score_mean(
    core: Core,
    *,
    project_id: int,
    name: str,
    since: datetime,
    until: datetime,
    prompt: str | None = None,
    model: str | None = None,
) -> tuple[int, float | None]:
    """How many production scores named ``name`` were recorded in ``(since, until]`` and
    their mean (a pass/fail score counts 1 or 0), for one prompt or model if given.

    Production scores are those of generations (online evaluation, people, the API), not
    those of evaluation runs. Reads the ``(project, name, time)`` index; a prompt or model
    filter joins each score to its generation."""
    s, g = SqlScore, SqlGeneration
    value = func.coalesce(
        s.value, case((s.passed.is_(True), 1.0), (s.passed.is_(False), 0.0), else_=None)
    )
    query = select(func.count(value), func.avg(value)).where(
        s.project_id == project_id,
        s.name == name,
        s.created_at > since,
        s.created_at <= until,
        s.run_id.is_(None),
        s.generation_id.is_not(None),
    )
    if prompt is not None or model is not None:
        query = query.join(g, and_(g.project_id == s.project_id, g.id == s.generation_id))
        if prompt is not None:
            query = query.where(g.prompt_name == prompt)
        if model is not None:
            query = query.where(g.model == model)
    with core.store.read() as session:
        count, mean = session.execute(query).one()
    return int(count or 0), None if mean is None else float(mean)
