"""What a prompt's content is made of: hash, search text, template sources, variables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from promptyard.domain.diff import content_to_text
from promptyard.domain.errors import (
    ValidationFailed,
)
from promptyard.domain.schemas import (
    content_length,
)
from promptyard.domain.templates import PromptRef
from promptyard.domain.templating.content import placeholders, template_sources
from promptyard.services.context import Core
from promptyard.store.models import SqlPrompt

Content = str | list[dict[str, Any]]


Resolver = Callable[[PromptRef], str]

__all__ = [
    "Content",
    "Resolver",
    "analyze_content",
    "placeholders",
    "search_text",
    "template_sources",
]


def search_text(prompt: SqlPrompt, type_: str, content: Content) -> str:
    parts = [
        prompt.name,
        prompt.folder.replace("/", " "),
        prompt.description,
        " ".join(prompt.tags),
    ]
    parts.append(content_to_text(type_, content))
    return "\n".join(part for part in parts if part)


def analyze_content(
    core: Core, type_: str, content: Content, resolver: Resolver
) -> tuple[list[dict[str, Any]], list[str]]:
    """Check a content's templates; return its variables and references.

    Raises template syntax errors (with field, line and column), bad or cyclic
    references, and size limits, before anything is stored.
    """
    if content_length(content) > core.settings.max_content_chars:
        raise ValidationFailed(
            f"content is longer than {core.settings.max_content_chars} characters",
            code="content_too_large",
        )
    required: dict[str, bool] = {}
    references: list[str] = []
    for field, source in template_sources(type_, content):
        info = core.templates.analyze(source, field=field)
        for ref in info.references:
            if str(ref) not in references:
                references.append(str(ref))
        for variable in core.templates.variables(source, resolver if info.references else None):
            required[variable.name] = required.get(variable.name, False) or variable.required
    for name in placeholders(content):
        required[name] = True
    variables = [{"name": name, "required": required[name]} for name in sorted(required)]
    return variables, references
