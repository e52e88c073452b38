"""Rendering a prompt's whole content: a text template, or every message of a chat.

One function for the server (``services.prompts.rendering``) and the SDK, which compiles
prompts locally: both render a content exactly the same way. The errors a render raises
are re-exported here, because the SDK may import the template engine and nothing else of
the domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptyard.domain.errors import (
    BadReference,
    DomainError,
    MissingVariables,
    NotFound,
    ValidationFailed,
)
from promptyard.domain.templating.engine import TemplateEngine
from promptyard.domain.templating.limits import Deadline
from promptyard.domain.templating.references import PromptRef, Resolver

__all__ = [
    "BadReference",
    "Content",
    "DomainError",
    "MissingVariables",
    "NotFound",
    "Rendered",
    "placeholders",
    "render_content",
    "sources_resolver",
    "template_sources",
]

#: Text content is a template string; chat content is a list of messages.
Content = str | list[dict[str, Any]]
Rendered = str | list[dict[str, Any]]


def template_sources(type_: str, content: Content) -> list[tuple[str, str]]:
    """``(field, template source)`` pairs of a content: one for text, one per message."""
    if isinstance(content, str):
        return [("content", content)]
    return [
        (f"content[{index}].content", str(item["content"]))
        for index, item in enumerate(content)
        if "content" in item
    ]


def placeholders(content: Content) -> list[str]:
    """Names of a chat's placeholders (each takes a list of messages when rendered)."""
    if isinstance(content, str):
        return []
    return [str(item["name"]) for item in content if item.get("type") == "placeholder"]


def render_content(
    engine: TemplateEngine,
    type_: str,
    content: Content,
    variables: Mapping[str, Any],
    resolver: Resolver | None,
    deadline: Deadline | None = None,
) -> Rendered:
    """Render text, or every message of a chat (placeholders take message lists).

    Every message shares one ``deadline`` (by default the engine's ``max_seconds`` from
    now): a chat prompt gets the time budget once, not once per message. Missing
    variables of all messages are reported together (``MissingVariables``).
    """
    if deadline is None:
        deadline = Deadline(engine.limits.max_seconds)
    if isinstance(content, str):  # the engine checks the text's missing variables itself
        return engine.render(content, variables, resolver=resolver, deadline=deadline)
    required: set[str] = set()
    for _field, source in template_sources(type_, content):
        required.update(
            variable.name
            for variable in engine.variables(source, resolver, deadline=deadline)
            if variable.required
        )
    required.update(placeholders(content))
    missing = sorted(name for name in required if name not in variables)
    if missing:
        raise MissingVariables(
            f"missing required variables: {', '.join(missing)}", details={"missing": missing}
        )
    messages: list[dict[str, Any]] = []
    for item in content:
        if item.get("type") == "placeholder":
            messages.extend(_placeholder_messages(str(item["name"]), variables[item["name"]]))
            continue
        rendered = dict(item)
        rendered["content"] = engine.render(
            str(item["content"]), variables, resolver=resolver, deadline=deadline
        )
        messages.append(rendered)
    return messages


def _placeholder_messages(name: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(
        isinstance(message, dict)
        and isinstance(message.get("role"), str)
        and isinstance(message.get("content"), str)
        for message in value
    ):
        raise ValidationFailed(
            f"placeholder {name!r} needs a list of {{role, content}} messages",
            code="render_error",
        )
    return [{"role": message["role"], "content": message["content"]} for message in value]


def sources_resolver(sources: Mapping[str, str]) -> Resolver:
    """A resolver over prompt sources collected beforehand (``{"prompt:x@v1": text}``).

    A reference that is not there was missing when the sources were collected: it is a
    ``NotFound``, so ``{% include ... ignore missing %}`` renders nothing for it.
    """

    def resolve(ref: PromptRef) -> str:
        key = str(ref)
        source = sources.get(key)
        if source is None:
            raise NotFound(
                f"{key}: there is no such prompt version in this project",
                details={"reference": key},
            )
        return source

    return resolve
