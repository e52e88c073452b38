"""Quality gates: what a gate sees and answers, and running the enabled ones.

Gates come from plugins (``register_gates`` in ``plugins/hookspecs.py``); the built-in
ones live in ``plugins/builtin/gates.py``. :class:`Core` collects them when it is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from promptyard.domain.errors import DomainError
from promptyard.services.core import Core
from promptyard.store.models import SqlPrompt, SqlVersion


@dataclass(frozen=True)
class GateContext:
    """What a gate sees: the version under review and the sample variables."""

    core: Core
    session: Session
    project_id: int
    prompt: SqlPrompt
    version: SqlVersion
    sample_variables: dict[str, Any]


@dataclass(frozen=True)
class GateResult:
    ok: bool
    message: str = ""


GateFn = Callable[[GateContext], GateResult]


def run_gates(ctx: GateContext, enabled: Mapping[str, bool]) -> list[dict[str, Any]]:
    """Run every gate the policy does not switch off; a gate's domain error is a fail."""
    results: list[dict[str, Any]] = []
    for name, fn in ctx.core.gates.items():
        if not enabled.get(name, True):
            continue
        try:
            result = fn(ctx)
        except DomainError as exc:
            result = GateResult(False, exc.message)
        results.append({"gate": name, "ok": result.ok, "message": result.message})
    return results
