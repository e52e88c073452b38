"""Every hook a Promptyard plugin can implement, one docstring each.

A plugin is a module or object with functions marked ``@hookimpl``, registered through
the ``promptyard`` entry-point group (``[project.entry-points.promptyard]``) or passed to
:func:`promptyard.plugins.manager.build_plugin_manager`. Built-in features register the
same way (``promptyard.plugins.builtin``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from promptyard.plugins.api import Evaluator, GateFn, Provider, QualityRule, Redactor

hookspec = pluggy.HookspecMarker("promptyard")
hookimpl = pluggy.HookimplMarker("promptyard")


class PromptyardSpec:
    @hookspec
    def register_gates(self, register: Callable[[str, GateFn], Any]) -> None:
        """Add quality gates: call ``register(name, fn)`` for each.

        ``fn(ctx: GateContext) -> GateResult`` (both in ``promptyard.plugins.api``) checks
        the version a change request wants to publish; it runs when the request is opened
        and again at every approval, must not write, and a project's policy can switch it
        off with ``gates: {name: false}``.
        """

    @hookspec
    def register_providers(self, register: Callable[[Provider], Any]) -> None:
        """Add model provider kinds: call ``register(provider)`` for each.

        ``provider`` is an instance of a :class:`promptyard.plugins.api.Provider` subclass;
        its ``kind`` is what a provider connection names (a later registration of a kind
        wins). The built-in ``openai``, ``anthropic`` and ``fake`` kinds register the same
        way (``promptyard.plugins.builtin.providers``).
        """

    @hookspec
    def register_generation_redactors(self, register: Callable[[Redactor], Any]) -> None:
        """Add redactors of generation text: call ``register(redact)`` for each.

        ``redact(field, text) -> text`` sees each generation's ``input`` and ``output``
        (``field`` says which; chat input as its JSON text) after tokens were counted and
        the call priced, before the text is stored; what it returns is stored. Redactors
        run in registration order. Keep them fast: they run at ingest, on every row.
        """

    @hookspec
    def register_quality_rules(self, register: Callable[[QualityRule], Any]) -> None:
        """Add quality and security rules: call ``register(rule)`` for each.

        ``rule`` is a :class:`promptyard.plugins.api.QualityRule`; its ``check(ctx)`` reads
        a :class:`~promptyard.plugins.api.RuleContext` (the version's template sources)
        and yields :class:`~promptyard.plugins.api.RuleHit` s. A later registration of an
        id wins. The built-in rules register the same way
        (``promptyard.plugins.builtin.quality_rules``); docs/quality.md lists them.
        """

    @hookspec
    def register_evaluators(self, register: Callable[[Evaluator], Any]) -> None:
        """Add evaluator kinds: call ``register(evaluator)`` for each.

        ``evaluator`` is an instance of a :class:`promptyard.plugins.api.Evaluator`
        subclass; its ``kind`` is what an evaluator spec names (``{"kind", "name",
        "config"}``), and a plugin's kind replaces a built-in one of the same name. Its
        ``evaluate(config, data)`` gets the validated config and an
        :class:`~promptyard.plugins.api.EvaluationInput` and returns an
        :class:`~promptyard.plugins.api.EvaluatorResult`; it may be called from several
        threads at once. docs/evaluators.md lists the built-in kinds.
        """
