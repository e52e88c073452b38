"""Two prompt versions (or two models) side by side, from the rollups, each difference
with a 95 % confidence interval and a sentence saying what it means.

Methods (docs/analytics.md):

- means (cost per call, mean latency, mean score): Welch's t interval from the rollups'
  count, sum and sum of squares; the relative difference by the delta method on the log
  of the ratio of means (same Welch degrees of freedom);
- rates (error rate, thumbs-up ratio): the unpooled normal (Wald) interval of the
  difference of two proportions;
- latency percentiles (p50, p95): a distribution-free interval per side, the sketch
  values at ranks ``q ± (z·sqrt(q(1-q)/n) + ε)`` (``ε`` the KLL rank error, ``z`` for
  97.5 % so that both sides hold together with 95 %, Bonferroni), and the difference's
  interval from the two (``[lo_b - hi_a, hi_b - lo_a]``): conservative.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

from promptyard.domain.errors import ValidationFailed
from promptyard.services.analytics import queries, rollups
from promptyard.services.analytics.schemas import ComparedMetric, VersionComparison
from promptyard.services.context import Core

CONFIDENCE = 0.95


def _t_quantile(p: float, df: float) -> float:
    """Student's t quantile: ``scipy.special`` (a third of ``scipy.stats``'s import
    cost, paid by the first comparison a process makes) holds the same function
    ``scipy.stats.t.ppf`` calls."""
    from scipy.special import stdtrit

    return float(stdtrit(df, p))


def _z(p: float) -> float:
    """The standard normal quantile (``scipy.stats.norm.ppf``'s own function)."""
    from scipy.special import ndtri

    return float(ndtri(p))


def welch(
    n_a: float, mean_a: float, var_a: float, n_b: float, mean_b: float, var_b: float
) -> tuple[float, float, float, float]:
    """(b - a, low, high, degrees of freedom): Welch's 95 % interval."""
    se_a, se_b = var_a / n_a, var_b / n_b
    se = math.sqrt(se_a + se_b)
    diff = mean_b - mean_a
    if se == 0:
        return diff, diff, diff, float("inf")
    df = (se_a + se_b) ** 2 / (se_a**2 / (n_a - 1) + se_b**2 / (n_b - 1))
    t = _t_quantile(0.5 + CONFIDENCE / 2, df)
    return diff, diff - t * se, diff + t * se, df


def moments(n: float, total: float, squares: float) -> tuple[float, float]:
    """(mean, sample variance) from a count, a sum and a sum of squares."""
    mean = total / n
    var = max(0.0, (squares - n * mean * mean) / (n - 1)) if n > 1 else 0.0
    return mean, var


def _mean_metric(
    name: str, a: queries.Cell, b: queries.Cell, count: str, total: str, sq: str
) -> ComparedMetric:
    n_a, n_b = int(a.total(count)), int(b.total(count))
    base: dict[str, Any] = {"metric": name, "n_a": n_a, "n_b": n_b, "method": "welch"}
    if n_a < 2 or n_b < 2:
        mean_a = a.total(total) / n_a if n_a else None
        mean_b = b.total(total) / n_b if n_b else None
        return _empty(base, mean_a, mean_b, "too few calls for an interval")
    mean_a, var_a = moments(n_a, a.total(total), a.total(sq))
    mean_b, var_b = moments(n_b, b.total(total), b.total(sq))
    diff, low, high, df = welch(n_a, mean_a, var_a, n_b, mean_b, var_b)
    relative = rel_low = rel_high = None
    if mean_a > 0 and mean_b > 0:
        se_log = math.sqrt(var_a / (n_a * mean_a**2) + var_b / (n_b * mean_b**2))
        t = _t_quantile(0.5 + CONFIDENCE / 2, df) if math.isfinite(df) else 1.96
        log_ratio = math.log(mean_b / mean_a)
        relative = math.exp(log_ratio) - 1
        rel_low = math.exp(log_ratio - t * se_log) - 1
        rel_high = math.exp(log_ratio + t * se_log) - 1
    return ComparedMetric(
        **base,
        a=mean_a,
        b=mean_b,
        difference=diff,
        ci_low=low,
        ci_high=high,
        relative=relative,
        relative_ci_low=rel_low,
        relative_ci_high=rel_high,
        significant=low > 0 or high < 0,
    )


def _empty(base: dict[str, Any], a: float | None, b: float | None, note: str) -> ComparedMetric:
    return ComparedMetric(
        **{**base, "method": f"{base['method']} ({note})"},
        a=a,
        b=b,
        difference=None if a is None or b is None else b - a,
        ci_low=None,
        ci_high=None,
        relative=None if not a or b is None else b / a - 1,
        relative_ci_low=None,
        relative_ci_high=None,
        significant=False,
    )


def two_proportions(x_a: float, n_a: float, x_b: float, n_b: float) -> tuple[float, float, float]:
    """(p_b - p_a, low, high): the unpooled normal 95 % interval."""
    p_a, p_b = x_a / n_a, x_b / n_b
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    z = _z(0.5 + CONFIDENCE / 2)
    diff = p_b - p_a
    return diff, diff - z * se, diff + z * se


def _rate_metric(name: str, x_a: float, n_a: float, x_b: float, n_b: float) -> ComparedMetric:
    base: dict[str, Any] = {
        "metric": name,
        "n_a": int(n_a),
        "n_b": int(n_b),
        "method": "two-proportion (Wald)",
    }
    if n_a < 1 or n_b < 1:
        return _empty(base, x_a / n_a if n_a else None, x_b / n_b if n_b else None, "no data")
    diff, low, high = two_proportions(x_a, n_a, x_b, n_b)
    p_a, p_b = x_a / n_a, x_b / n_b
    return ComparedMetric(
        **base,
        a=p_a,
        b=p_b,
        difference=diff,
        ci_low=low,
        ci_high=high,
        relative=None if p_a == 0 else p_b / p_a - 1,
        relative_ci_low=None,
        relative_ci_high=None,
        significant=low > 0 or high < 0,
    )


def quantile_interval(sketch: Any, n: int, q: float) -> tuple[float, float, float]:
    """(estimate, low, high) of quantile ``q``, each side at 97.5 % (see module doc)."""
    z = _z(1 - (1 - CONFIDENCE) / 4)
    half = z * math.sqrt(q * (1 - q) / n) + rollups.SKETCH_RANK_ERROR
    return (
        float(sketch.get_quantile(q)),
        float(sketch.get_quantile(max(0.0, q - half))),
        float(sketch.get_quantile(min(1.0, q + half))),
    )


def _quantile_metric(name: str, q: float, a: queries.Cell, b: queries.Cell) -> ComparedMetric:
    n_a, n_b = int(a.total("latency_count")), int(b.total("latency_count"))
    base: dict[str, Any] = {
        "metric": name,
        "n_a": n_a,
        "n_b": n_b,
        "method": "sketch quantile intervals (order statistics + KLL rank error, Bonferroni)",
    }
    if a.latency is None or b.latency is None or n_a < 2 or n_b < 2:
        return _empty(base, a.quantile("latency", q), b.quantile("latency", q), "no data")
    est_a, low_a, high_a = quantile_interval(a.latency, n_a, q)
    est_b, low_b, high_b = quantile_interval(b.latency, n_b, q)
    low, high = low_b - high_a, high_b - low_a
    rel_low = low_b / high_a - 1 if high_a > 0 else None
    rel_high = high_b / low_a - 1 if low_a > 0 else None
    return ComparedMetric(
        **base,
        a=est_a,
        b=est_b,
        difference=est_b - est_a,
        ci_low=low,
        ci_high=high,
        relative=est_b / est_a - 1 if est_a > 0 else None,
        relative_ci_low=rel_low,
        relative_ci_high=rel_high,
        significant=low > 0 or high < 0,
    )


def _pct(value: float) -> str:
    return f"{abs(value) * 100:.0f}"


def _range(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    a, b = sorted((abs(low) * 100, abs(high) * 100))
    return f" (95 % CI {a:.0f}\u2013{b:.0f} %)"


def sentence(name_a: str, name_b: str, metrics: list[ComparedMetric]) -> str:
    """What the comparison means, in words."""
    by = {metric.metric: metric for metric in metrics}
    said: list[str] = []
    quiet: list[str] = []
    cost = by["cost_per_call"]
    if cost.significant and cost.relative is not None:
        word = "less" if cost.relative < 0 else "more"
        said.append(
            f"{name_b} costs {_pct(cost.relative)} % {word} per call than {name_a}"
            f"{_range(cost.relative_ci_low, cost.relative_ci_high)}"
        )
    elif cost.a is not None and cost.b is not None:
        quiet.append("cost per call")
    latency = by["latency_mean_ms"]
    if latency.significant and latency.relative is not None:
        word = "slower" if latency.relative > 0 else "faster"
        said.append(
            f"{name_b} is {_pct(latency.relative)} % {word} on average"
            f"{_range(latency.relative_ci_low, latency.relative_ci_high)}"
        )
    elif latency.a is not None and latency.b is not None:
        quiet.append("latency")
    errors = by["error_rate"]
    if errors.significant and errors.a is not None and errors.b is not None:
        word = "rise" if errors.b > errors.a else "fall"
        said.append(
            f"errors {word} from {errors.a * 100:.1f} % to {errors.b * 100:.1f} % "
            f"(95 % CI of the difference {(errors.ci_low or 0) * 100:+.1f} to "
            f"{(errors.ci_high or 0) * 100:+.1f} points)"
        )
    elif errors.n_a and errors.n_b:
        quiet.append("error rate")
    feedback = by["feedback_mean"]
    if feedback.significant and feedback.a is not None and feedback.b is not None:
        word = "better" if feedback.b > feedback.a else "worse"
        said.append(
            f"feedback is {word} ({feedback.a:.2f} → {feedback.b:.2f} on 0..1, 95 % CI of "
            f"the difference {feedback.ci_low:+.2f} to {feedback.ci_high:+.2f})"
        )
    elif feedback.n_a and feedback.n_b:
        quiet.append("feedback")
    if not said and not quiet:
        return f"Not enough data to compare {name_a} and {name_b} in this time range."
    text = "; ".join(said)
    if quiet:
        tail = "no detectable change in " + ", ".join(quiet)
        text = f"{text}; {tail}" if text else tail[0].upper() + tail[1:]
    return text[0].upper() + text[1:] + "."


def compare(
    core: Core,
    *,
    project_id: int,
    dimension: Literal["version", "model"],
    a: str,
    b: str,
    since: datetime,
    until: datetime,
    prompt: str | None = None,
) -> VersionComparison:
    """Compare ``a`` with ``b`` (versions of ``prompt``, or models) over ``[since, until)``."""
    if dimension == "version" and prompt is None:
        raise ValidationFailed("prompt: comparing versions needs the prompt")
    if a == b:
        raise ValidationFailed("a and b: compare two different versions or models")
    cells = []
    for value in (a, b):
        filters: dict[str, str] = {dimension: value}
        if prompt is not None:
            filters["prompt"] = prompt
        query = queries.Query(
            project_ids=(project_id,), since=since, until=until, filters=filters, users=False
        )
        cells.append(queries.run(core, query).totals.get((), queries.Cell()))
    cell_a, cell_b = cells
    metrics = [
        _mean_metric("cost_per_call", cell_a, cell_b, "cost_calls", "cost", "cost_sq"),
        _mean_metric(
            "latency_mean_ms", cell_a, cell_b, "latency_count", "latency_sum", "latency_sq"
        ),
        _quantile_metric("latency_p50_ms", 0.5, cell_a, cell_b),
        _quantile_metric("latency_p95_ms", 0.95, cell_a, cell_b),
        _rate_metric(
            "error_rate",
            cell_a.total("errors"),
            cell_a.total("calls"),
            cell_b.total("errors"),
            cell_b.total("calls"),
        ),
        _mean_metric("feedback_mean", cell_a, cell_b, "score_count", "score_sum", "score_sq"),
        _rate_metric(
            "thumbs_ratio",
            cell_a.total("thumbs_up"),
            cell_a.total("thumbs_up") + cell_a.total("thumbs_down"),
            cell_b.total("thumbs_up"),
            cell_b.total("thumbs_up") + cell_b.total("thumbs_down"),
        ),
    ]
    name_a, name_b = (f"version {a}", f"version {b}") if dimension == "version" else (a, b)
    return VersionComparison(
        dimension=dimension,
        prompt=prompt,
        a=a,
        b=b,
        since=since,
        until=until,
        metrics=metrics,
        summary=sentence(name_a, name_b, metrics),
    )
