"""Quality gates come from plugins: built-in ones and any registered from outside."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from promptyard.plugins.api import GateContext, GateResult
from promptyard.plugins.hookspecs import hookimpl
from promptyard.plugins.manager import build_plugin_manager, collect_gates
from promptyard.services.context import Core


class NoShoutingPlugin:
    """An outside plugin: refuses versions written in capitals."""

    @hookimpl
    def register_gates(self, register: Callable[[str, Any], Any]) -> None:
        def no_shouting(ctx: GateContext) -> GateResult:
            text = str(ctx.version.content)
            return GateResult(not text.isupper(), "no shouting" if text.isupper() else "calm")

        register("no_shouting", no_shouting)


def test_built_in_gates_are_registered_as_plugins() -> None:
    gates = collect_gates(build_plugin_manager(entry_points=False))
    assert set(gates) == {"variables_declared", "renders_with_samples"}


def test_an_outside_gate_blocks_a_change_request(core: Core, app_client: TestClient) -> None:
    core.gates = collect_gates(build_plugin_manager(extra=[NoShoutingPlugin()]))
    assert "no_shouting" in core.gates
    created = app_client.post("/api/v1/prompts", json={"name": "loud", "content": "HELLO"})
    assert created.status_code == 201
    opened = app_client.post(
        "/api/v1/change-requests",
        json={"prompt": "loud", "version": 1, "label": "production"},
    )
    assert opened.status_code == 422, opened.text
    error = opened.json()["error"]
    assert error["code"] == "gate_failed"
    by_gate = {result["gate"]: result for result in error["details"]["gates"]}
    assert by_gate["no_shouting"] == {"gate": "no_shouting", "ok": False, "message": "no shouting"}
    assert by_gate["renders_with_samples"]["ok"] is True
    # the policy can switch the plugin's gate off by name
    policy = app_client.put(
        "/api/v1/projects/default/policy", json={"gates": {"no_shouting": False}}
    )
    assert policy.status_code == 200, policy.text
    again = app_client.post(
        "/api/v1/change-requests",
        json={"prompt": "loud", "version": 1, "label": "production"},
    )
    assert again.status_code == 201, again.text
