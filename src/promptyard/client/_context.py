"""The observation in scope (a contextvar), shared by ``observe``, the prompt objects
and the provider wrappers without importing one another."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

#: The innermost ``observe`` scope of this thread or task, if any.
current_span: ContextVar[Any] = ContextVar("promptyard_span", default=None)
