"""The built-in quality and security rules, registered like any outside plugin.

They see only :mod:`promptyard.plugins.api`; docs/quality.md lists them with their sources.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from promptyard.plugins.builtin.quality_rules import guidance, security, tools
from promptyard.plugins.hookspecs import hookimpl

RULES = (*guidance.RULES, *security.RULES, *tools.RULES)


@hookimpl
def register_quality_rules(register: Callable[[Any], Any]) -> None:
    for rule in RULES:
        register(rule)
