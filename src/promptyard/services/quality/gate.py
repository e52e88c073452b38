"""The ``no_high_severity_findings`` quality gate: a change request cannot publish a
version with a high-severity finding (a secret, a card number, an injection-prone
variable in the system message ...). A project's review policy switches it off with
``gates: {"no_high_severity_findings": false}``, like any gate."""

from __future__ import annotations

from promptyard.plugins.api import GateContext, GateResult
from promptyard.services.context import Core
from promptyard.services.quality import engine

GATE_NAME = "no_high_severity_findings"


def install(core: Core) -> None:
    """Add the gate to the Core (a plugin's gate of the same name wins)."""

    def gate(ctx: GateContext) -> GateResult:
        version = ctx.version
        result = engine.evaluate(
            core.quality_rules,
            name=ctx.prompt,
            type_=version.type,
            content=version.content,
            config=version.config,
            variables=[str(v.get("name")) for v in version.variables],
        )
        high = [f for f in result["findings"] if f["severity"] == "high"]
        if high:
            listed = "; ".join(
                f"{f['rule']} at {f['field']} line {f['line']}: {f['detail']}" for f in high[:5]
            )
            more = f" (and {len(high) - 5} more)" if len(high) > 5 else ""
            return GateResult(False, f"{len(high)} high-severity finding(s): {listed}{more}")
        return GateResult(True, f"no high-severity finding (score {result['score']})")

    core.gates.setdefault(GATE_NAME, gate)
