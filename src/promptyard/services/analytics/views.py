"""The three dashboard views (usage, performance, costs) and their CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from promptyard.services.analytics import queries
from promptyard.services.analytics.schemas import (
    AnalyticsPage,
    CostPoint,
    PerformancePoint,
    Series,
    UsagePoint,
)
from promptyard.services.context import Core

View = Literal["usage", "performance", "costs"]
POINTS: dict[str, type[Any]] = {
    "usage": UsagePoint,
    "performance": PerformancePoint,
    "costs": CostPoint,
}


def view(
    core: Core,
    kind: View,
    *,
    project_id: int,
    since: datetime,
    until: datetime,
    bucket: str,
    group_by: Sequence[str] = (),
    filters: Mapping[str, str] | None = None,
) -> AnalyticsPage[Any]:
    """One view over ``[since, until)``: a series per group, a point per bucket."""
    point_type = POINTS[kind]
    query = queries.Query(
        project_ids=(project_id,),
        since=since,
        until=until,
        bucket=bucket,
        group_by=tuple(group_by),
        filters=dict(filters or {}),
        percentiles=kind == "performance",
        users=kind == "usage",
    )
    result = queries.run(core, query)
    fields = set(point_type.model_fields)
    empty = queries.Cell()

    def point(at: int, cell: queries.Cell) -> Any:
        values = {k: v for k, v in queries.figures(cell).items() if k in fields}
        if kind == "usage" and not cell.sums.get("calls"):
            values["unique_users"] = 0
        return point_type(bucket=queries.from_epoch(at), **values)

    series = []
    ordered = sorted(result.groups.items(), key=lambda item: -result.totals[item[0]].total("calls"))
    for key, cells in ordered:
        series.append(
            Series[point_type](  # type: ignore[valid-type]
                group={name: str(value) for name, value in zip(group_by, key, strict=True)},
                total=point(queries.epoch(since) // 60 * 60, result.totals[key]),
                points=[point(at, cells.get(at, empty)) for at in result.buckets],
            )
        )
    if not series and not group_by:
        total = point(queries.epoch(since) // 60 * 60, empty)
        series.append(
            Series[point_type](  # type: ignore[valid-type]
                group={}, total=total, points=[point(at, empty) for at in result.buckets]
            )
        )
    return AnalyticsPage[point_type](  # type: ignore[valid-type]
        since=since,
        until=until,
        bucket=bucket,  # type: ignore[arg-type]
        group_by=list(group_by),
        filters=dict(filters or {}),
        series=series,
        groups_dropped=result.groups_dropped,
    )


def to_csv(page: AnalyticsPage[Any]) -> str:
    """One row per group and bucket: ``bucket``, the group's dimensions, the figures."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header: list[str] | None = None
    for series in page.series:
        for point in series.points:
            values = point.model_dump(mode="json")
            if header is None:
                fields = [name for name in values if name != "bucket"]
                header = ["bucket", *page.group_by, *fields]
                writer.writerow(header)
            writer.writerow(
                [
                    values["bucket"],
                    *(series.group.get(name, "") for name in page.group_by),
                    *(
                        "" if values[name] is None else values[name]
                        for name in header[1 + len(page.group_by) :]
                    ),
                ]
            )
    if header is None:
        writer.writerow(["bucket", *page.group_by])
    return out.getvalue()
