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
    from promptyard.plugins.builtin import gates, providers, quality_rules

    manager = pluggy.PluginManager("promptyard")
    manager.add_hookspecs(hookspecs.PromptyardSpec)
    manager.register(gates, name="promptyard.builtin.gates")
    manager.register(providers, name="promptyard.builtin.providers")
    manager.register(quality_rules, name="promptyard.builtin.quality_rules")
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


def collect_quality_rules(manager: pluggy.PluginManager) -> dict[str, Any]:
    """Every registered quality rule by id (a later registration of an id wins)."""
    found: dict[str, Any] = {}

    def register(rule: Any) -> None:
        found[rule.id] = rule

    manager.hook.register_quality_rules(register=register)
    return found


def collect_redactors(manager: pluggy.PluginManager) -> list[Any]:
    """Every registered generation-text redactor, in registration order."""
    found: list[Any] = []
    manager.hook.register_generation_redactors(register=found.append)
    return found


def collect_providers(manager: pluggy.PluginManager) -> dict[str, Any]:
    """Every registered provider kind: ``{kind: Provider}``. Hook implementations run in
    registration order, built-ins first, so a later registration of a kind wins."""
    from promptyard.plugins.api import Provider

    found: dict[str, Any] = {}

    def register(provider: Any) -> None:
        if not isinstance(provider, Provider) or not provider.kind:
            raise TypeError(f"register_providers: {provider!r} is not a Provider with a kind")
        found[provider.kind] = provider

    for impl in manager.hook.register_providers.get_hookimpls():
        if impl.hookwrapper or impl.wrapper:
            continue
        impl.function(*[{"register": register}[name] for name in impl.argnames])
    return found


def collect_evaluators(manager: pluggy.PluginManager) -> dict[str, Any]:
    """Every evaluator kind plugins register: ``{kind: Evaluator}`` (a later registration
    of a kind wins). The built-in kinds live in ``services/evaluation`` and are not here:
    a plugin's kind of the same name replaces the built-in one."""
    from promptyard.plugins.api import Evaluator

    found: dict[str, Any] = {}

    def register(evaluator: Any) -> None:
        if not isinstance(evaluator, Evaluator) or not evaluator.kind:
            raise TypeError(f"register_evaluators: {evaluator!r} is not an Evaluator with a kind")
        found[evaluator.kind] = evaluator

    manager.hook.register_evaluators(register=register)
    return found
