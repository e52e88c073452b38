"""Built-in quality gates: required variables declared, and the version renders.

They are registered like any outside plugin and see only :mod:`promptyard.plugins.api`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from promptyard.domain.errors import DomainError
from promptyard.plugins.api import GateContext, GateResult
from promptyard.plugins.hookspecs import hookimpl


def variables_declared(ctx: GateContext) -> GateResult:
    """Every required variable of the version has a sample value."""
    required = [str(v["name"]) for v in ctx.version.variables if v.get("required")]
    missing = sorted(name for name in required if name not in ctx.sample_variables)
    if missing:
        return GateResult(
            False,
            "the sample variables must give a value to every required variable; "
            f"missing: {', '.join(missing)}",
        )
    return GateResult(True, f"{len(required)} required variable(s) declared")


def renders_with_samples(ctx: GateContext) -> GateResult:
    """The version renders with the sample variables (includes resolved as of now)."""
    try:
        ctx.render(ctx.sample_variables)
    except DomainError as exc:
        return GateResult(False, f"{exc.code}: {exc.message}")
    return GateResult(True, "renders with the sample variables")


@hookimpl
def register_gates(register: Callable[[str, Any], Any]) -> None:
    register("variables_declared", variables_declared)
    register("renders_with_samples", renders_with_samples)
