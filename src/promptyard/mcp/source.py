"""What the MCP server needs from Promptyard: a small, transport-free "prompt source".

Two implementations exist: over the Python SDK (``promptyard mcp``, stdio, in
``cli/delivery``) and over the services with the request's actor (``/mcp``, in
``server/mcp``). Both hand back the plain objects below and raise :class:`SourceError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

#: The label served when a request names neither a label nor a version (if the prompt
#: has it; otherwise its latest version).
DEFAULT_LABEL = "production"


class SourceError(Exception):
    """An expected failure: ``code`` is Promptyard's error code (``not_found``,
    ``missing_variables``, ``forbidden`` …), ``details`` its details."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Selector:
    """Which version to use: a label, a version number, or neither (the default)."""

    label: str | None = None
    version: int | None = None

    @property
    def is_default(self) -> bool:
        return self.label is None and self.version is None


@dataclass(frozen=True)
class Argument:
    name: str
    required: bool
    description: str = ""


@dataclass(frozen=True)
class PromptEntry:
    """A prompt as MCP lists it: one version's variables are its arguments."""

    name: str
    type: str
    description: str
    version: int
    arguments: tuple[Argument, ...]
    #: Arguments that take a JSON list of ``{role, content}`` messages (chat placeholders).
    placeholders: frozenset[str] = frozenset()
    labels: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rendered:
    type: str
    version: int
    #: The text, or the chat's messages (``{role, content}``).
    content: str | list[dict[str, Any]] = field(default="")


class PromptSource(Protocol):
    """What one MCP connection (stdio) or request (HTTP) may read, as one actor."""

    async def list_prompts(self) -> list[PromptEntry]:
        """Every prompt the caller may read, each with its default version's arguments."""
        ...

    async def describe(self, name: str, selector: Selector) -> PromptEntry:
        """One prompt at ``selector``; :class:`SourceError` ``not_found`` if unknown."""
        ...

    async def render(self, name: str, selector: Selector, variables: dict[str, Any]) -> Rendered:
        """Render on the server's sandbox; ``missing_variables`` names what is missing."""
        ...

    async def search(self, query: str | None, tags: Sequence[str]) -> list[dict[str, Any]]: ...

    async def versions(self, name: str) -> list[dict[str, Any]]: ...

    async def fingerprint(self) -> str:
        """Changes whenever the prompt list (names, versions, labels) changes."""
        ...


# -- helpers both sources use on the API's JSON shapes ---------------------------------


def default_selector(labels: Mapping[str, int]) -> Selector:
    """``production`` when the prompt has it, else its latest version."""
    if DEFAULT_LABEL in labels:
        return Selector(label=DEFAULT_LABEL)
    return Selector()


def entry_from_json(prompt: Mapping[str, Any], version: Mapping[str, Any]) -> PromptEntry:
    """A :class:`PromptEntry` from a ``PromptPublic`` and a ``VersionPublic`` (as JSON)."""
    content = version.get("content")
    placeholders = frozenset(
        str(item["name"])
        for item in (content if isinstance(content, list) else [])
        if isinstance(item, dict) and item.get("type") == "placeholder"
    )
    arguments = [
        Argument(str(variable["name"]), bool(variable.get("required", True)))
        for variable in version.get("variables") or []
        if str(variable["name"]) not in placeholders
    ]
    arguments.extend(
        Argument(name, True, "a JSON list of {role, content} messages")
        for name in sorted(placeholders)
    )
    return PromptEntry(
        name=str(prompt["name"]),
        type=str(version.get("type") or prompt.get("type") or "text"),
        description=str(prompt.get("description") or ""),
        version=int(version["number"]),
        arguments=tuple(arguments),
        placeholders=placeholders,
        labels=tuple(sorted(prompt.get("labels") or {})),
        tags=tuple(prompt.get("tags") or ()),
    )


def summary_json(prompt: Mapping[str, Any]) -> dict[str, Any]:
    """What the ``search_prompts`` tool answers for one prompt."""
    return {
        "name": prompt["name"],
        "type": prompt.get("type"),
        "description": prompt.get("description", ""),
        "folder": prompt.get("folder", ""),
        "tags": list(prompt.get("tags") or []),
        "latest_version": prompt.get("latest_version"),
        "labels": dict(prompt.get("labels") or {}),
    }


def version_json(version: Mapping[str, Any]) -> dict[str, Any]:
    """What the ``get_prompt_versions`` tool answers for one version."""
    created = version.get("created_at")
    return {
        "version": version["number"],
        "branch": version.get("branch"),
        "labels": list(version.get("labels") or []),
        "message": version.get("message", ""),
        "author": version.get("author", ""),
        "created_at": created if isinstance(created, str) else str(created),
        "variables": [v["name"] for v in version.get("variables") or []],
        "content": version.get("content"),
    }
