"""Rendering stored prompts and unsaved templates, and validating templates."""

from __future__ import annotations

from typing import Any

from promptyard.domain.errors import (
    DomainError,
    TemplateSyntaxProblem,
    ValidationFailed,
)
from promptyard.domain.schemas import parse_content
from promptyard.domain.templates import Deadline
from promptyard.domain.templating.content import render_content as domain_render_content
from promptyard.services.context import Core
from promptyard.services.prompts.content_analysis import (
    Content,
    Resolver,
    analyze_content,
    template_sources,
)
from promptyard.services.prompts.lookup import load_prompt, make_resolver, resolve_selector

Rendered = str | list[dict[str, Any]]


def render_content(
    core: Core,
    type_: str,
    content: Content,
    variables: dict[str, Any],
    resolver: Resolver,
    deadline: Deadline | None = None,
) -> Rendered:
    """Render text, or every message of a chat (placeholders take message lists).

    Every message shares one ``deadline`` (by default ``render_timeout_seconds`` from
    now): a chat prompt gets the time budget once, not once per message.
    """
    if deadline is None:
        deadline = Deadline(core.settings.render_timeout_seconds)
    # One implementation for the server and the SDK, which compiles prompts locally.
    return domain_render_content(core.templates, type_, content, variables, resolver, deadline)


def render_prompt(
    core: Core,
    *,
    project_id: int,
    name: str,
    variables: dict[str, Any],
    version: int | None = None,
    label: str | None = None,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name)
        selected = resolve_selector(session, prompt, version=version, label=label)
        resolver = make_resolver(session, project_id)
        rendered = render_content(
            core, selected.type, selected.content, variables, resolver, deadline
        )
    return {"type": selected.type, "rendered": rendered, "version": selected.number}


def render_template(
    core: Core,
    *,
    project_id: int,
    type_: str,
    content: Any,
    variables: dict[str, Any],
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    try:
        parsed = parse_content(type_, content)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    with core.store.read() as session:
        resolver = make_resolver(session, project_id)
        rendered = render_content(core, type_, parsed, variables, resolver, deadline)
    return {"type": type_, "rendered": rendered}


def validate_template(core: Core, *, project_id: int, type_: str, content: Any) -> dict[str, Any]:
    """Check content as the save would; problems come back as data, not errors."""
    errors: list[dict[str, Any]] = []
    variables: list[dict[str, Any]] = []
    references: list[str] = []
    try:
        parsed = parse_content(type_, content)
    except ValueError as exc:
        return {
            "valid": False,
            "variables": [],
            "references": [],
            "errors": [{"field": "content", "line": None, "column": None, "message": str(exc)}],
        }
    # Collect syntax errors of every message, not just the first.
    for field, source in template_sources(type_, parsed):
        try:
            core.templates.analyze(source, field=field)
        except TemplateSyntaxProblem as exc:
            details = exc.details or {}
            errors.append(
                {
                    "field": details.get("field", field),
                    "line": details.get("line"),
                    "column": details.get("column"),
                    "message": details.get("message", exc.message),
                }
            )
        except DomainError as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            errors.append(
                {
                    "field": field,
                    "line": details.get("line"),
                    "column": None,
                    "message": exc.message,
                }
            )
    if not errors:
        try:
            with core.store.read() as session:
                resolver = make_resolver(session, project_id)
                variables, references = analyze_content(core, type_, parsed, resolver)
        except DomainError as exc:
            errors.append(
                {"field": "content", "line": None, "column": None, "message": exc.message}
            )
    return {
        "valid": not errors,
        "variables": variables,
        "references": references,
        "errors": errors,
    }
