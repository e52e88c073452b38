"""What plugins see: plain objects, never ORM rows, sessions or the Core.

A plugin imports from here (and :mod:`promptyard.plugins.hookspecs` for ``hookimpl``);
everything else in Promptyard may change between releases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class VersionView:
    """One immutable version of a prompt, as a gate sees it."""

    number: int
    type: str
    content: str | list[dict[str, Any]]
    config: dict[str, Any] = field(default_factory=dict)
    #: Declared variables: ``{"name", "required", ...}`` each.
    variables: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class GateContext:
    """What a quality gate checks: the version a change request wants to publish.

    ``render(variables)`` renders that version (includes resolved as of now) with the
    server's sandbox and limits, and raises :class:`promptyard.domain.errors.DomainError`
    when it cannot.
    """

    prompt: str
    version: VersionView
    sample_variables: dict[str, Any]
    render: Callable[[dict[str, Any]], object]


@dataclass(frozen=True)
class GateResult:
    ok: bool
    message: str = ""


GateFn = Callable[[GateContext], GateResult]
