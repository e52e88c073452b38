"""An experiment's rollups (kept at ingest) against the exact computation on its raw rows:
the same counts, sums and units, and so the same analysis."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from promptyard.domain.experiments import assign
from promptyard.services.analytics import experiment_rollups
from promptyard.services.context import Core
from promptyard.services.experiments import aggregates, analysis
from promptyard.services.experiments.aggregates import Cells, Sums
from promptyard.store.models import (
    SqlExperiment,
    SqlExperimentRollup,
    SqlExperimentUnit,
    SqlFeedback,
    SqlGeneration,
)
from tests.experiments._helpers import API, EXPERIMENTS, running_experiment

START = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)


def _generations(experiment_id: int, count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        unit = f"user-{rng.randrange(count // 3)}"
        variant = ["control", "friendly"][assign(experiment_id, unit, [1, 1])]
        meta: dict[str, Any] = {"resolved": int(rng.random() < 0.4 + 0.2 * (variant != "control"))}
        if i % 7 == 0:
            meta.update(flag=True, label="x", score=rng.gauss(3, 1))  # bool and text: skipped
        row: dict[str, Any] = {
            "id": f"s{seed}-g{i}",
            "prompt_name": "greeting",
            "user_id": unit,
            "session_id": f"sess-{i // 4}" if i % 3 else None,
            "experiment_id": experiment_id,
            "variant": variant,
            "model": "gpt-4o-mini",
            "latency_ms": rng.lognormvariate(6, 0.4) if i % 11 else None,
            "status": "error" if rng.random() < 0.05 else "ok",
            "start_time": (START + timedelta(hours=rng.uniform(0, 24 * 5))).isoformat(),
            "metadata": meta,
        }
        if i % 13:
            row.update(input_cost=rng.uniform(0, 0.002), output_cost=rng.uniform(0, 0.004))
        out.append(row)
    return out


def _post(client: TestClient, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 250):
        r = client.post(f"{API}/generations/batch", json={"generations": rows[start : start + 250]})
        assert r.status_code == 200, r.text


def _raw_cells(core: Core, experiment: SqlExperiment, metrics: list[str]) -> Cells:
    """The cells computed the slow, obvious way: every raw row in Python."""
    names = [v["name"] for v in experiment.variants]
    by: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    units: dict[str, set[str]] = defaultdict(set)
    with core.store.read() as session:
        rows = session.scalars(
            select(SqlGeneration).where(SqlGeneration.experiment_id == experiment.id)
        ).all()
        feedback = {
            f.generation_id: f.value
            for f in session.scalars(select(SqlFeedback)).all()
            if f.value is not None
        }
    for g in rows:
        if g.variant not in names:
            continue
        start = g.start_time if g.start_time.tzinfo else g.start_time.replace(tzinfo=UTC)
        day = start.astimezone(UTC).date().isoformat()
        cell = by[g.variant]
        cell["error_rate"][day].append(1.0 if g.status == "error" else 0.0)
        if g.input_cost is not None and g.output_cost is not None:
            cell["cost"][day].append(g.input_cost + g.output_cost)
        if g.latency_ms is not None:
            cell["latency"][day].append(g.latency_ms)
        for metric in metrics:
            if metric.startswith("meta:"):
                value = (g.meta or {}).get(metric[5:])
                if isinstance(value, int | float) and not isinstance(value, bool):
                    cell[metric][day].append(float(value))
        if g.id in feedback:
            cell["feedback"][day].append(float(feedback[g.id]))
        unit = g.user_id if experiment.unit == "user" else g.session_id
        if unit:
            units[g.variant].add(unit)
    cells = Cells()
    for variant, metrics_of in by.items():
        for metric, days in metrics_of.items():
            for day, values in days.items():
                sums = Sums(len(values), math.fsum(values), math.fsum(v * v for v in values))
                cells.put(metric, variant, day, sums)
                if metric == "error_rate":
                    cells.generations += len(values)
    cells.units = {v: len(s) for v, s in units.items()}
    return cells


def _same(got: Cells, want: Cells) -> None:
    assert got.generations == want.generations
    assert got.units == want.units
    assert set(got.by_metric) == set(want.by_metric)
    for metric, variants in want.by_metric.items():
        assert set(got.by_metric[metric]) == set(variants), metric
        for variant, days in variants.items():
            assert set(got.by_metric[metric][variant]) == set(days), (metric, variant)
            for day, sums in days.items():
                found = got.by_metric[metric][variant][day]
                assert found.n == sums.n, (metric, variant, day)
                assert found.total == pytest.approx(sums.total, rel=1e-9, abs=1e-12)
                assert found.total_sq == pytest.approx(sums.total_sq, rel=1e-9, abs=1e-12)


def test_rollups_match_the_raw_rows_and_give_the_same_analysis(
    app_client: TestClient, core: Core
) -> None:
    experiment = running_experiment(app_client, metrics=["meta:resolved", "meta:score"])
    rows = _generations(experiment["id"], 900, seed=1)
    _post(app_client, rows)
    _post(app_client, rows[:300])  # a resent batch is not counted twice
    stray = _generations(experiment["id"], 30, seed=2)
    for row in stray:  # another experiment, and rows of no experiment: not in its sums
        row["experiment_id"] = experiment["id"] + 1000
    _post(app_client, stray)
    _post(app_client, [{**r, "id": r["id"] + "-plain", "experiment_id": None} for r in stray])
    for i in range(0, 900, 3):
        r = app_client.post(
            f"{API}/analytics/feedback",
            json={"generation_id": rows[i]["id"], "kind": "score", "value": float(i % 2)},
        )
        assert r.status_code in (200, 201), r.text

    with core.store.read() as session:
        row = session.get(SqlExperiment, experiment["id"])
        assert row is not None
        session.expunge(row)
        metrics = [row.primary_metric, *row.metrics]
        got = aggregates.collect(
            session,
            project_id=row.project_id,
            experiment_id=row.id,
            unit=row.unit,
            metrics=metrics,
            variants=[v["name"] for v in row.variants],
        )
    want = _raw_cells(core, row, metrics)
    assert got.generations == 900
    _same(got, want)

    # the analysis over the rollups is the analysis over the raw rows
    fast = analysis.analyse(row, got)
    exact = analysis.analyse(row, want)
    assert fast["verdict"] == exact["verdict"]
    assert fast["srm"].p_value == pytest.approx(exact["srm"].p_value, rel=1e-9)
    for a, b in zip(fast["metrics"], exact["metrics"], strict=True):
        assert a.metric == b.metric
        for ca, cb in zip(a.comparisons, b.comparisons, strict=True):
            assert ca.estimate == pytest.approx(cb.estimate, rel=1e-7, abs=1e-12)
            assert ca.p_value == pytest.approx(cb.p_value, rel=1e-6, abs=1e-12)
            assert ca.always_valid_p == pytest.approx(cb.always_valid_p, rel=1e-6, abs=1e-12)
    results = app_client.get(f"{EXPERIMENTS}/{experiment['id']}/results").json()
    assert results["generations"] == 900
    assert results["units"] == want.units

    # the rebuild from raw rows gives the same rollups
    def stored() -> tuple[list[Any], list[Any]]:
        with core.store.read() as session:
            r = SqlExperimentRollup
            sums = session.execute(
                select(r.experiment_id, r.variant, r.day, r.metric, r.n, r.total).order_by(
                    r.experiment_id, r.variant, r.day, r.metric
                )
            ).all()
            u = SqlExperimentUnit
            units = session.execute(
                select(u.experiment_id, u.kind, u.variant, u.unit).order_by(
                    u.experiment_id, u.kind, u.variant, u.unit
                )
            ).all()
        return [tuple(s) for s in sums], [tuple(x) for x in units]

    before = stored()
    with core.store.write() as session:
        connection = session.connection()
        assert experiment_rollups.rebuild(connection, row.project_id, row.id) == 900
        experiment_rollups.rebuild(connection, row.project_id, row.id + 1000)
    after = stored()
    assert [s[:5] for s in after[0]] == [s[:5] for s in before[0]]
    for a, b in zip(after[0], before[0], strict=True):
        assert a[5] == pytest.approx(b[5], rel=1e-9, abs=1e-12)
    assert after[1] == before[1]


def test_meta_values_summed_are_bounded_and_numeric() -> None:
    meta = {f"k{i}": i for i in range(40)} | {"bad key": 1, "nan": math.nan, "yes": True}
    row = {
        "project_id": 1,
        "experiment_id": 7,
        "variant": "a",
        "start_time": datetime(2026, 1, 2, 23, 30, tzinfo=UTC),
        "status": "ok",
        "meta": meta,
        "user_id": "u",
    }
    sums, units = experiment_rollups.aggregate([row, {**row, "experiment_id": None}])
    metas = [cell[4] for cell in sums if cell[4].startswith("meta:")]
    assert len(metas) == experiment_rollups.MAX_META_KEYS
    assert all(m[5:].startswith("k") for m in metas)
    assert (1, 7, "a", "2026-01-02", "error_rate") in sums
    assert units == {(1, 7, "user", "a", "u")}


def test_db_check_finds_experiment_rollups_that_disagree_and_repairs_them(
    app_client: TestClient, core: Core
) -> None:
    from sqlalchemy import delete, update

    from promptyard.services.operations import integrity

    experiment = running_experiment(app_client)
    _post(app_client, _generations(experiment["id"], 120, seed=3))
    assert integrity.check_database(core) == []

    r = SqlExperimentRollup
    with core.store.write() as session:
        cells = session.execute(
            select(r.variant, r.day).where(r.metric == "error_rate").order_by(r.variant, r.day)
        ).all()
        assert len(cells) >= 2
        (v1, d1), (v2, d2) = cells[0], cells[-1]
        mine = (r.experiment_id == experiment["id"], r.metric == "error_rate")
        errors_lost = session.execute(
            select(r.total).where(*mine, r.variant == v2, r.day == d2)
        ).scalar_one()
        session.execute(update(r).where(*mine, r.variant == v1, r.day == d1).values(n=r.n + 3))
        session.execute(delete(r).where(*mine, r.variant == v2, r.day == d2))

    found = [f for f in integrity.check_database(core) if f.table == "experiment_rollups"]
    expected = [(f"variant {v1!r}, day {d1}", "n"), (f"variant {v2!r}, day {d2}", "n")]
    if errors_lost:
        expected.append((f"variant {v2!r}, day {d2}", "total"))
    assert sorted((f.where.split(", ", 2)[2], f.column) for f in found) == sorted(expected)
    assert all(f.row_id == experiment["id"] for f in found)
    assert all("--repair" in f.problem and f.repairable for f in found)

    repaired = integrity.check_database(core, repair=True)
    assert repaired and all(f.repaired for f in repaired if f.table == "experiment_rollups")
    assert integrity.check_database(core) == []
