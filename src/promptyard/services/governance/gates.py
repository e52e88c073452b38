"""Running the quality gates a project's policy enables.

Gates come from plugins (``register_gates`` in ``plugins/hookspecs.py``) and see the plain
objects of ``plugins/api.py``; the built-in ones live in ``plugins/builtin/gates.py``.
:func:`promptyard.wiring.build_core` collects them onto the Core. A
:class:`~promptyard.plugins.api.ConfiguredGate` (the evaluation-run gate) runs only where
the policy's ``gate_settings`` configure it, and sees those settings in ``ctx.config``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from promptyard.domain.errors import DomainError, ValidationFailed
from promptyard.plugins.api import ConfiguredGate, GateContext, GateResult
from promptyard.services.context import Core


def run_gates(
    core: Core,
    ctx: GateContext,
    enabled: Mapping[str, bool],
    settings: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Run every gate the policy does not switch off; a gate's domain error is a fail."""
    settings = settings or {}
    results: list[dict[str, Any]] = []
    for name, fn in core.gates.items():
        if not enabled.get(name, True):
            continue
        if isinstance(fn, ConfiguredGate) and name not in settings:
            continue
        gate_ctx = dataclasses.replace(ctx, config=dict(settings.get(name) or {}))
        try:
            result = fn(gate_ctx)
        except DomainError as exc:
            result = GateResult(False, exc.message)
        results.append({"gate": name, "ok": result.ok, "message": result.message})
    return results


def configure_gates(
    core: Core, settings: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Check a policy's ``gate_settings``: each names a gate that takes settings, and its
    ``configure`` accepts them; returns them normalised."""
    out: dict[str, dict[str, Any]] = {}
    for name, given in settings.items():
        fn = core.gates.get(name)
        if not isinstance(fn, ConfiguredGate):
            takes = sorted(n for n, g in core.gates.items() if isinstance(g, ConfiguredGate))
            raise ValidationFailed(
                f"gate_settings.{name}: no gate of that name takes settings; "
                f"gates with settings: {', '.join(takes) or 'none'}",
                details={"gate": name},
            )
        try:
            out[name] = fn.configure(given)
        except ValueError as exc:
            raise ValidationFailed(f"gate_settings.{name}: {exc}", details={"gate": name}) from None
    return out
