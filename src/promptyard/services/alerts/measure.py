"""The figures alerts compare, read only through analytics' ``window_stats`` (rollups,
never raw rows).

The rollups count whole minutes; ``until`` is taken up to the end of the minute in
progress, so a call made seconds ago already counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from promptyard.services.analytics.queries import WindowStats, window_stats
from promptyard.services.context import Core

__all__ = ["WindowStats", "stats"]


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
