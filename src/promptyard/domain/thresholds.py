"""Thresholds on an evaluation run's results, written ``EVALUATOR=NUMBER`` (``exact_match=0.9``):
the CLI's ``eval run --fail-under`` and the ``evaluation_run`` gate of a change request read
them the same way. A variant meets a threshold when its evaluator's headline value (pass
rate, or mean for a score without pass/fail) is at least the number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promptyard.domain.errors import ValidationFailed


@dataclass(frozen=True)
class Threshold:
    evaluator: str
    minimum: float

    def __str__(self) -> str:
        return f"{self.evaluator}={self.minimum:g}"


def read_threshold(text: str) -> Threshold:
    """``exact_match=0.9`` → ``Threshold("exact_match", 0.9)``; anything else: 422."""
    name, sep, number = text.partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        minimum = float(number)
        if minimum != minimum:  # NaN
            raise ValueError
    except ValueError:
        raise ValidationFailed(
            f"{text!r}: write a threshold as EVALUATOR=NUMBER, e.g. exact_match=0.9",
            code="bad_threshold",
        ) from None
    return Threshold(name.strip(), minimum)


def missed(variant_summary: dict[str, Any], thresholds: list[Threshold]) -> list[str]:
    """What each missed threshold was, in words, for one variant of a run's summary
    (``summary["variants"][i]``); empty when every threshold is met."""
    values = {e["name"]: e.get("value") for e in variant_summary.get("evaluators", [])}
    out = []
    for t in thresholds:
        if t.evaluator not in values:
            out.append(f"{t.evaluator}: the run has no evaluator of that name")
        elif values[t.evaluator] is None:
            out.append(f"{t.evaluator}: no value (every call failed?) < {t.minimum:g}")
        elif float(values[t.evaluator]) < t.minimum:
            out.append(f"{t.evaluator} = {float(values[t.evaluator]):.3f} < {t.minimum:g}")
    return out
