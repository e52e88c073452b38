"""The results of an online experiment: per metric and variant, the estimate against
the control with its interval, the p-value, the always-valid p-value and interval
(mSPRT over the daily looks), the verdict, the sample ratio check and the series over
time. Aggregates come from SQL (``aggregates.py``); the statistics from
``domain/statistics``."""

from __future__ import annotations

import math
import time
from typing import Any

from promptyard.domain.statistics import (
    Comparison,
    Summary,
    msprt_path,
    sample_ratio_mismatch,
    two_proportions,
    verdict,
    welch_from_summary,
)
from promptyard.domain.statistics.results import finite
from promptyard.domain.statistics.sequential import SequentialResult, half_width
from promptyard.services.context import Core
from promptyard.services.experiments import lifecycle
from promptyard.services.experiments.aggregates import Cells, Sums, collect
from promptyard.services.experiments.schemas import (
    RATE_METRICS,
    ComparisonPublic,
    Interval,
    MetricResult,
    ResultsPublic,
    SeriesPoint,
    SrmPublic,
    VariantStats,
    direction_of,
)
from promptyard.store.models import SqlExperiment

#: The mixture's scale when the design gives no minimum detectable effect: a small
#: standardised effect (d = 0.2) of the control's standard deviation.
DEFAULT_TAU_D = 0.2


def results(core: Core, *, project_id: int, experiment_id: int) -> ResultsPublic:
    started = time.perf_counter()
    with core.store.read() as session:
        row = lifecycle.load(session, project_id, experiment_id)
        experiment = lifecycle.public(core, session, row)
        metrics = [row.primary_metric, *row.metrics]
        cells = collect(
            session,
            project_id=project_id,
            experiment_id=experiment_id,
            unit=row.unit,
            metrics=metrics,
            variants=[v["name"] for v in row.variants],
        )
    analysed = analyse(row, cells)
    return ResultsPublic(
        experiment=experiment,
        generations=cells.generations,
        units={v["name"]: cells.units.get(v["name"], 0) for v in row.variants},
        **analysed,
        seconds=time.perf_counter() - started,
    )


def analyse(row: SqlExperiment, cells: Cells) -> dict[str, Any]:
    """Everything but the experiment itself: metrics, SRM, guardrails, verdict."""
    names = [v["name"] for v in row.variants]
    roles: list[tuple[str, str]] = [(row.primary_metric, "primary")]
    roles += [(m, "secondary") for m in row.metrics if m != row.primary_metric]
    roles += [(m, "guardrail") for m in row.guardrails if m not in {r[0] for r in roles}]
    metric_results = [_metric(row, cells, metric, role, names) for metric, role in roles]
    srm = _srm(row, cells, names)
    breaches = guardrail_breaches(row, metric_results)
    primary = metric_results[0]
    decided = [c for c in primary.comparisons if c.verdict in ("better", "worse")]
    if srm is not None and srm.mismatch:
        overall = "invalid"
        text = "Sample ratio mismatch: " + srm.text + " Fix the split before trusting any result."
    elif decided:
        best = max(
            decided,
            key=lambda c: (c.estimate or 0.0) * (1 if primary.direction == "higher" else -1),
        )
        overall = best.verdict
        text = best.verdict_text
    else:
        overall = "no_detectable_difference" if primary.comparisons else "not_enough_data"
        text = " ".join(c.verdict_text for c in primary.comparisons) or "No variants to compare."
    if breaches:
        text += " Guardrail breached: " + "; ".join(breaches) + "."
    return {
        "srm": srm,
        "metrics": metric_results,
        "guardrail_breach": breaches,
        "verdict": overall,
        "verdict_text": text,
    }


def guardrail_breaches(row: SqlExperiment, metrics: list[MetricResult]) -> list[str]:
    """Variants clearly worse on a guardrail metric: the always-valid (sequential) test
    says worse, so the stop is safe however often it was checked."""
    out = []
    for result in metrics:
        if result.metric not in row.guardrails:
            continue
        for c in result.comparisons:
            p = c.always_valid_p
            if p is None or p >= row.alpha or c.estimate is None:
                continue
            worse = c.estimate > 0 if result.direction == "lower" else c.estimate < 0
            if worse:
                out.append(f"{c.variant} is worse on {result.metric} (always-valid p = {p:.3g})")
    return out


def _compare(kind: str, control: Sums, treatment: Sums, alpha: float) -> Comparison:
    if kind == "rate":
        return two_proportions(
            int(control.total), control.n, int(treatment.total), treatment.n, alpha=alpha
        )
    return welch_from_summary(
        Summary.from_sums(control.n, control.total, control.total_sq),
        Summary.from_sums(treatment.n, treatment.total, treatment.total_sq),
        alpha=alpha,
    )


def _estimate_variance(kind: str, control: Sums, treatment: Sums) -> tuple[float, float]:
    if control.n < 2 or treatment.n < 2:
        return math.nan, math.nan
    if kind == "rate":
        p1, p2 = control.total / control.n, treatment.total / treatment.n
        return p2 - p1, p1 * (1 - p1) / control.n + p2 * (1 - p2) / treatment.n
    a = Summary.from_sums(control.n, control.total, control.total_sq)
    b = Summary.from_sums(treatment.n, treatment.total, treatment.total_sq)
    return b.mean - a.mean, a.variance / a.n + b.variance / b.n


def _tau2(row: SqlExperiment, metric: str, kind: str, control: Sums) -> float:
    mde = row.design.get("mde") if metric == row.primary_metric else None
    if mde:
        return float(mde) ** 2
    if control.n >= 2:
        if kind == "rate":
            p = control.total / control.n
            sd = math.sqrt(max(p * (1 - p), 1e-4))
        else:
            sd = Summary.from_sums(control.n, control.total, control.total_sq).sd
        if sd > 0:
            return (DEFAULT_TAU_D * sd) ** 2
    return 1.0


def _metric(
    row: SqlExperiment, cells: Cells, metric: str, role: str, names: list[str]
) -> MetricResult:
    kind = "rate" if metric in RATE_METRICS else "mean"
    direction = direction_of(metric, row.directions)
    by_variant = cells.by_metric.get(metric, {})
    days = sorted({d for cellsets in by_variant.values() for d in cellsets})
    totals: dict[str, Sums] = {}
    cumulative: dict[str, list[Sums]] = {}
    for name in names:
        running, path = Sums(), []
        for d in days:
            cell = by_variant.get(name, {}).get(d)
            if cell is not None:
                running.add(cell)
            path.append(Sums(running.n, running.total, running.total_sq))
        totals[name], cumulative[name] = running, path
    stats = [
        VariantStats(
            variant=n,
            n=totals[n].n,
            value=finite(totals[n].total / totals[n].n) if totals[n].n else None,
        )
        for n in names
    ]
    control = names[0]
    comparisons: list[ComparisonPublic] = []
    series: list[SeriesPoint] = []
    for name in names[1:]:
        result = _compare(kind, totals[control], totals[name], row.alpha)
        tau2 = _tau2(row, metric, kind, totals[control])
        looks = [
            _estimate_variance(kind, c, t)
            for c, t in zip(cumulative[control], cumulative[name], strict=True)
        ]
        sequential = msprt_path(
            [e for e, _ in looks], [v for _, v in looks], tau2=tau2, alpha=row.alpha
        )
        said = verdict(
            result,
            metric=metric,
            direction=direction,
            sequential=sequential,
            power=row.power,
            control=control,
            treatment=name,
        )
        comparisons.append(_public(name, result, sequential, said))
        series.extend(
            _series(kind, name, days, cumulative[control], cumulative[name], tau2, row.alpha)
        )
    note = None
    if not days:
        note = "no generations recorded this metric yet"
    return MetricResult(
        metric=metric, kind=kind, direction=direction, role=role,  # type: ignore[arg-type]
        variants=stats, comparisons=comparisons, series=series, note=note,
    )  # fmt: skip


def _public(name: str, r: Comparison, s: SequentialResult, said: Any) -> ComparisonPublic:
    return ComparisonPublic(
        variant=name,
        test=r.test,
        estimate=finite(r.estimate),
        relative=finite(r.relative),
        ci=Interval(low=finite(r.ci_low), high=finite(r.ci_high)),
        p_value=finite(r.p_value),
        effect_name=r.effect_name,
        effect_size=finite(r.effect_size),
        effect_ci=Interval(low=finite(r.effect_ci_low), high=finite(r.effect_ci_high)),
        always_valid_p=finite(s.p_value) if s.looks else None,
        always_valid_ci=Interval(low=finite(s.ci_low), high=finite(s.ci_high)),
        verdict=said.outcome,
        verdict_text=said.text,
        error_probability=finite(said.error_probability),
        needed_per_variant=said.needed_per_variant,
    )


def _series(
    kind: str,
    name: str,
    days: list[str],
    control: list[Sums],
    treatment: list[Sums],
    tau2: float,
    alpha: float,
) -> list[SeriesPoint]:
    points = []
    low, high, p_min = -math.inf, math.inf, 1.0
    for d, c, t in zip(days, control, treatment, strict=True):
        est, var = _estimate_variance(kind, c, t)
        ci = Interval(low=None, high=None)
        if math.isfinite(var) and var > 0:
            r = _compare(kind, c, t, alpha)
            ci = Interval(low=finite(r.ci_low), high=finite(r.ci_high))
            half = float(half_width(var, tau2, alpha))
            low, high = max(low, est - half), min(high, est + half)
            p_min = min(p_min, msprt_path([est], [var], tau2=tau2, alpha=alpha).p_value)
        points.append(
            SeriesPoint(
                day=d,
                variant=name,
                n=t.n,
                estimate=finite(est),
                ci=ci,
                always_valid_ci=Interval(low=finite(low), high=finite(high)),
                always_valid_p=p_min,
            )
        )
    return points


def _srm(row: SqlExperiment, cells: Cells, names: list[str]) -> SrmPublic | None:
    observed = [cells.units.get(n, 0) for n in names]
    if sum(observed) == 0:
        return None
    weights = [float(v["weight"]) for v in row.variants]
    result = sample_ratio_mismatch(observed, weights)
    shares = ", ".join(f"{n} {o:,}" for n, o in zip(names, observed, strict=True))
    if result.mismatch:
        text = (
            f"units per variant ({shares}) do not match the weights (p = {result.p_value:.2g}); "
            "assignment or logging is losing units in some variant."
        )
    else:
        text = f"units per variant ({shares}) match the weights (p = {result.p_value:.2g})."
    return SrmPublic(
        observed=observed, expected=result.expected, p_value=result.p_value,
        mismatch=result.mismatch, text=text,
    )  # fmt: skip


def winner(found: ResultsPublic) -> str | None:
    """The variant better than the control on the primary metric (the best one when
    several are), unless the split is broken or it breaches a guardrail."""
    if found.srm is not None and found.srm.mismatch:
        return None
    primary = found.metrics[0]
    better = [c for c in primary.comparisons if c.verdict == "better" and c.estimate is not None]
    breached = {text.split(" is worse", 1)[0] for text in found.guardrail_breach}
    better = [c for c in better if c.variant not in breached]
    if not better:
        return None
    sign = 1 if primary.direction == "higher" else -1
    return max(better, key=lambda c: sign * (c.estimate or 0.0)).variant
