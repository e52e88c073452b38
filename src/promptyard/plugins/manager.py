"""Building the plugin manager: built-in plugins plus those installed as entry points."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pluggy

from promptyard.plugins import hookspecs

ENTRY_POINT_GROUP = "promptyard"


def build_plugin_manager(
    *, extra: Iterable[object] = (), entry_points: bool = True
) -> pluggy.PluginManager:
    """A manager with the built-in plugins, installed ones and ``extra`` (for tests)."""
    from promptyard.plugins.builtin import gates

    manager = pluggy.PluginManager("promptyard")
    manager.add_hookspecs(hookspecs.PromptyardSpec)
    manager.register(gates, name="promptyard.builtin.gates")
    if entry_points:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra:
        manager.register(plugin)
    return manager


def collect_gates(manager: pluggy.PluginManager) -> dict[str, Any]:
    """Every registered quality gate by name (a later registration of a name wins)."""
    found: dict[str, Any] = {}

    def register(name: str, fn: Any) -> None:
        found[name] = fn

    manager.hook.register_gates(register=register)
    return found
