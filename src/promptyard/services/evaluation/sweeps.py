"""Parameter sweeps: every combination of listed variable values (a cartesian product).

``{"tone": ["formal", "casual"], "n": [1, 2]}`` expands to four variable sets; a run
takes each case once per combination (the combination's values over the case's input).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from promptyard.domain.errors import ValidationFailed

#: A sweep expands to at most this many combinations.
MAX_COMBINATIONS = 1000
MAX_VALUES = 100


def count(sweep: dict[str, list[Any]]) -> int:
    """How many combinations ``sweep`` makes (1 for an empty sweep)."""
    return math.prod(len(values) for values in sweep.values()) if sweep else 1


def expand(sweep: dict[str, list[Any]], *, limit: int = MAX_COMBINATIONS) -> list[dict[str, Any]]:
    """Every combination of ``sweep``'s values as ``{variable: value}``, variables in
    sorted order, the last varying fastest; ``[{}]`` for an empty sweep. Raises
    ``ValidationFailed`` for an empty value list or more than ``limit`` combinations."""
    if not sweep:
        return [{}]
    names = sorted(sweep)
    for name in names:
        values = sweep[name]
        if not isinstance(values, list) or not values:
            raise ValidationFailed(f"sweep {name!r}: give a list of at least one value")
        if len(values) > MAX_VALUES:
            raise ValidationFailed(f"sweep {name!r}: at most {MAX_VALUES} values")
    total = count(sweep)
    if total > limit:
        raise ValidationFailed(
            f"the sweep makes {total} combinations; at most {limit}",
            code="sweep_too_large",
            details={"combinations": total, "max": limit},
        )
    return [
        dict(zip(names, combo, strict=True))
        for combo in itertools.product(*(sweep[n] for n in names))
    ]
