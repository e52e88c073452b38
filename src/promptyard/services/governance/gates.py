"""Running the quality gates a project's policy enables.

Gates come from plugins (``register_gates`` in ``plugins/hookspecs.py``) and see the plain
objects of ``plugins/api.py``; the built-in ones live in ``plugins/builtin/gates.py``.
:func:`promptyard.wiring.build_core` collects them onto the Core.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptyard.domain.errors import DomainError
from promptyard.plugins.api import GateContext, GateResult
from promptyard.services.context import Core


def run_gates(core: Core, ctx: GateContext, enabled: Mapping[str, bool]) -> list[dict[str, Any]]:
    """Run every gate the policy does not switch off; a gate's domain error is a fail."""
    results: list[dict[str, Any]] = []
    for name, fn in core.gates.items():
        if not enabled.get(name, True):
            continue
        try:
            result = fn(ctx)
        except DomainError as exc:
            result = GateResult(False, exc.message)
        results.append({"gate": name, "ok": result.ok, "message": result.message})
    return results
