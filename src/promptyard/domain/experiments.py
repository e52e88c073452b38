"""Sticky assignment of a unit (a user or a session) to an experiment's variant.

``sha256("<experiment id>:<unit id>")``'s first 8 bytes, as a number in [0, 1), pick the
variant whose cumulative weight share covers it: the same unit always gets the same
variant for the same experiment, different experiments split independently, and no
state is stored. The SDK (``client/_experiments.py``) computes the same function locally;
tests/experiments/test_assignment.py checks that both agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

_SCALE = float(2**64)


def bucket(experiment_id: int, unit: str) -> float:
    """The unit's position in [0, 1) for this experiment."""
    digest = hashlib.sha256(f"{experiment_id}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def choose(weights: Sequence[float], position: float) -> int:
    """The index of the variant ``position`` falls in (weights need not sum to 1)."""
    total = float(sum(weights))
    if total <= 0:
        return 0
    edge = 0.0
    for index, weight in enumerate(weights):
        edge += weight / total
        if position < edge:
            return index
    return max(i for i, w in enumerate(weights) if w > 0)


def assign(experiment_id: int, unit: str, weights: Sequence[float]) -> int:
    """The variant index for ``unit``: :func:`choose` at :func:`bucket`."""
    return choose(weights, bucket(experiment_id, unit))
