"""Prompts as ``get_prompt`` returns them: compiled locally with the server's engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from promptyard.client._context import current_span
from promptyard.client._errors import CompileError, MissingVariablesError
from promptyard.domain.templating import TemplateEngine
from promptyard.domain.templating.content import (
    DomainError,
    MissingVariables,
    Rendered,
    placeholders,
    render_content,
    sources_resolver,
    template_sources,
)

__all__ = ["ChatPrompt", "TextPrompt", "make_prompt"]


class _BasePrompt:
    """One version of a prompt, with the sources of the prompts it includes.

    Immutable once built; safe to share between threads. ``raw`` is the server's answer
    (``GET /api/v1/prompts/{name}``), kept for whoever needs more than these attributes.
    """

    type: Literal["text", "chat"]
    __slots__ = (
        "_engine",
        "_resolver",
        "_sources",
        "config",
        "content",
        "experiment_id",
        "is_fallback",
        "labels",
        "name",
        "raw",
        "required_variables",
        "variables",
        "variant",
        "version",
    )

    def __init__(
        self,
        *,
        name: str,
        version: int | None,
        content: Any,
        labels: list[str],
        config: dict[str, Any],
        variables: list[dict[str, Any]],
        sources: Mapping[str, str],
        engine: TemplateEngine,
        is_fallback: bool = False,
        raw: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        #: ``None`` for a fallback that was never fetched.
        self.version = version
        self.content = content
        self.labels = labels
        self.config = config
        #: Names of every variable (of this prompt and the ones it includes), sorted.
        self.variables = [str(v["name"]) for v in variables]
        self.required_variables = [str(v["name"]) for v in variables if v.get("required")]
        self.is_fallback = is_fallback
        #: The online experiment and variant that served it (``get_prompt(unit_id=...)``).
        self.experiment_id: int | None = None
        self.variant: str | None = None
        self.raw = raw or {}
        self._sources = dict(sources)
        self._resolver = sources_resolver(self._sources) if self._sources else None
        self._engine = engine

    def _render(self, variables: Mapping[str, Any]) -> Rendered:
        try:
            rendered = render_content(
                self._engine, self.type, self.content, variables, self._resolver
            )
        except MissingVariables as exc:
            missing = list((exc.details or {}).get("missing") or [])
            raise MissingVariablesError(
                f"prompt {self.name!r}: {exc.message}", missing=missing
            ) from None
        except DomainError as exc:
            raise CompileError(
                f"prompt {self.name!r}: {exc.message}",
                status=None,
                code=exc.code,
                details=exc.details,
            ) from None
        span = current_span.get()
        if span is not None:  # inside ``client.observe``: it records this prompt version
            span.use_prompt(self.name, self.version, rendered)
        return rendered

    def __repr__(self) -> str:
        flag = ", is_fallback=True" if self.is_fallback else ""
        return f"{type(self).__name__}(name={self.name!r}, version={self.version!r}{flag})"


class TextPrompt(_BasePrompt):
    """A text prompt: :meth:`compile` gives a string."""

    __slots__ = ()
    type: Literal["text"] = "text"

    def compile(self, **variables: Any) -> str:
        """Render with ``variables``; raises :class:`MissingVariablesError` naming every
        missing one, or :class:`CompileError` for any other template error."""
        rendered = self._render(variables)
        assert isinstance(rendered, str)
        return rendered


class ChatPrompt(_BasePrompt):
    """A chat prompt: :meth:`compile` gives a list of ``{"role", "content"}`` messages;
    a placeholder takes a list of messages passed under its name."""

    __slots__ = ()
    type: Literal["chat"] = "chat"

    def compile(self, **variables: Any) -> list[dict[str, Any]]:
        """Render every message with ``variables`` (see :meth:`TextPrompt.compile`)."""
        rendered = self._render(variables)
        assert isinstance(rendered, list)
        return rendered


AnyPrompt = TextPrompt | ChatPrompt


def make_prompt(
    raw: Mapping[str, Any],
    sources: Mapping[str, str],
    engine: TemplateEngine,
    *,
    is_fallback: bool = False,
) -> AnyPrompt:
    """The prompt object of a server answer (a prompt with its ``version``)."""
    version = raw.get("version") or {}
    kind = version.get("type") or raw.get("type") or "text"
    cls: type[AnyPrompt] = ChatPrompt if kind == "chat" else TextPrompt
    return cls(
        name=str(raw.get("name", "")),
        version=version.get("number"),
        content=version.get("content", ""),
        labels=list(version.get("labels") or []),
        config=dict(version.get("config") or {}),
        variables=list(version.get("variables") or []),
        sources=sources,
        engine=engine,
        is_fallback=is_fallback,
        raw=dict(raw),
    )


def fallback_prompt(
    name: str, fallback: str | list[dict[str, Any]], engine: TemplateEngine
) -> AnyPrompt:
    """A prompt made from ``fallback=`` content: never fetched, flagged ``is_fallback``."""
    kind = "text" if isinstance(fallback, str) else "chat"
    names: dict[str, bool] = dict.fromkeys(placeholders(fallback), True)
    try:
        for _field, source in template_sources(kind, fallback):
            for variable in engine.analyze(source).variables:
                names[variable.name] = names.get(variable.name, False) or variable.required
    except DomainError as exc:
        raise CompileError(
            f"fallback of prompt {name!r}: {exc.message}",
            status=None,
            code=exc.code,
            details=exc.details,
        ) from None
    raw = {
        "name": name,
        "type": kind,
        "version": {
            "number": None,
            "type": kind,
            "content": fallback,
            "config": {},
            "labels": [],
            "variables": [{"name": n, "required": r} for n, r in sorted(names.items())],
        },
    }
    return make_prompt(raw, {}, engine, is_fallback=True)
