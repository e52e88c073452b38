"""Composing a Core: the store, the plugins' quality gates and the capabilities' guards.

The server (``promptyard serve``), the CLI and the tests build their Core here, so that
``services`` never import the plugin manager and no capability imports another one to
hook into it: governance installs its label guard on the Core instead of the prompts
capability calling governance.
"""

from __future__ import annotations

from collections.abc import Iterable

from promptyard.config import Settings
from promptyard.plugins.manager import (
    build_plugin_manager,
    collect_evaluators,
    collect_gates,
    collect_providers,
    collect_quality_rules,
    collect_redactors,
)
from promptyard.services.analytics import integrity as analytics_integrity
from promptyard.services.context import Core
from promptyard.services.evaluation import gate as evaluation_gate
from promptyard.services.experiments import assignment as experiments_assignment
from promptyard.services.governance import policy
from promptyard.services.quality import gate as quality_gate
from promptyard.services.quality import policy as quality_policy
from promptyard.store.engine import Store


def build_core(
    settings: Settings,
    store: Store | None = None,
    *,
    plugins: Iterable[object] = (),
    entry_points: bool = True,
) -> Core:
    """A Core with the built-in and installed plugins (plus ``plugins``) and every guard.

    ``entry_points=False`` leaves out plugins installed in the environment (the tests do,
    unless a test asks for them).
    """
    core = Core.build(settings, store)
    manager = build_plugin_manager(extra=plugins, entry_points=entry_points)
    core.gates = collect_gates(manager)
    core.quality_rules = collect_quality_rules(manager)
    core.redactors = collect_redactors(manager)
    core.providers = collect_providers(manager)
    core.evaluators = collect_evaluators(manager)
    policy.install(core)
    quality_gate.install(core)
    evaluation_gate.install(core)
    quality_policy.install(core)
    experiments_assignment.install(core)
    analytics_integrity.install(core)
    return core
