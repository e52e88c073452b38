"""Render limits, the per-request :class:`Deadline`, and the per-render budget state."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import NoReturn

from promptyard.domain.errors import RenderCancelled, TemplateLimitExceeded


@dataclass(frozen=True)
class TemplateLimits:
    """Bounds on one template and one render; see :mod:`promptyard.domain.templates`."""

    max_source_chars: int = 100_000
    max_output_chars: int = 200_000
    max_range: int = 10_000
    max_loop_iterations: int = 100_000
    max_sequence_size: int = 100_000
    max_power: int = 10_000
    max_include_depth: int = 8
    max_includes: int = 1_000
    max_seconds: float = 1.0
    max_total_size: int = 10_000_000


_LIMIT_MESSAGES = {
    "max_source_chars": "the template is longer than {} characters",
    "max_output_chars": "the rendered text is longer than {} characters",
    "max_range": "range() is limited to {} items",
    "max_loop_iterations": "loops ran more than {} iterations in total",
    "max_sequence_size": "a string or list would grow beyond {} items",
    "max_power": "a number would have more than {} digits",
    "max_include_depth": "prompt references nest deeper than {} levels",
    "max_includes": "prompt references (include, import, extends) were expanded more than {} "
    "times in one render",
    "max_seconds": "rendering took longer than {} seconds",
    "max_total_size": "the template built more than {} characters of values in total",
}


def _limit_error(limits: TemplateLimits, name: str, extra: str = "") -> TemplateLimitExceeded:
    value = getattr(limits, name)
    message = _LIMIT_MESSAGES[name].format(value) + extra
    return TemplateLimitExceeded(message, details={"limit": name, "value": value})


class Deadline:
    """The time budget of one request, shared by everything rendered for it.

    One deadline covers every message of a chat prompt, every reference it expands and
    every loop step, call, filter and output piece: the engine checks it where work
    happens, not only when text is printed. :meth:`cancel` (called from another thread,
    e.g. when the HTTP client goes away) makes the next check stop the render with
    :class:`~promptyard.domain.errors.RenderCancelled`.
    """

    __slots__ = ("cancelled", "expires", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.cancelled = False

    def restart(self) -> None:
        """Start the full budget now (when queued work begins to run)."""
        self.expires = time.monotonic() + self.seconds

    def cancel(self) -> None:
        self.cancelled = True

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def check(self) -> None:
        """Raise if the request was cancelled or its time is up."""
        if self.cancelled:
            raise RenderCancelled("the render was cancelled: the client went away")
        if time.monotonic() > self.expires:
            raise TemplateLimitExceeded(
                _LIMIT_MESSAGES["max_seconds"].format(self.seconds),
                details={"limit": "max_seconds", "value": self.seconds},
            )


class _NotRendering(RuntimeError):
    """Raised by guards outside a render, which stops Jinja folding them at compile time."""


class _RenderState:
    """Budgets of one render; lives in a ContextVar so concurrent renders are independent."""

    __slots__ = (
        "deadline",
        "includes",
        "iterations",
        "limits",
        "max_total",
        "names",
        "sources",
        "ticks",
        "total",
    )

    def __init__(
        self, limits: TemplateLimits, sources: Mapping[str, str], deadline: Deadline
    ) -> None:
        self.limits = limits
        self.max_total = limits.max_total_size
        self.sources = sources
        self.names: dict[int, str] = {}
        self.deadline = deadline
        self.includes = 0
        self.iterations = 0
        self.total = 0
        self.ticks = 0

    def fail(self, name: str, extra: str = "") -> NoReturn:
        raise _limit_error(self.limits, name, extra)

    def tick(self) -> None:
        self.ticks += 1
        if not self.ticks & 15:
            self.deadline.check()

    def charge(self, size: int) -> None:
        """Count ``size`` towards max_total_size; also a tick (this is the hot path)."""
        self.total += size if size > 0 else 1
        if self.total > self.max_total:
            self.fail("max_total_size")
        self.ticks += 1
        if not self.ticks & 15:
            self.deadline.check()

    def iterate(self, count: int) -> None:
        self.iterations += count
        if self.iterations > self.limits.max_loop_iterations:
            self.fail("max_loop_iterations")
        self.deadline.check()

    def include(self) -> None:
        """One prompt reference expanded (include, import or extends)."""
        self.includes += 1
        if self.includes > self.limits.max_includes:
            self.fail("max_includes")
        self.deadline.check()

    def grow(self, size: int, built_from: int) -> None:
        """Refuse a result above max_sequence_size that is larger than what it came from."""
        if size > self.limits.max_sequence_size and size > built_from:
            self.fail("max_sequence_size")

    def digits(self, digits: float) -> None:
        if digits > self.limits.max_power:
            self.fail("max_power")


_STATE: ContextVar[_RenderState | None] = ContextVar("promptyard_render_state", default=None)


def _state() -> _RenderState:
    state = _STATE.get()
    if state is None:
        raise _NotRendering("template guards only run during a render")
    return state


def _limit_error_recursion() -> TemplateLimitExceeded:
    return TemplateLimitExceeded(
        "the template recursed too deeply (macros calling themselves?)",
        details={"limit": "recursion", "value": sys.getrecursionlimit()},
    )
