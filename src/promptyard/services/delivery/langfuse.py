"""Langfuse's prompt API (``/api/public/v2/prompts``) over the ordinary prompt services.

Nothing here writes a row: a Langfuse create is ``registry.create_prompt`` (a new prompt)
or ``registry.update_prompt`` (a new version), a label move is ``versions.set_label``, so
versions, the audit trail and the governance label guard work as for every other client.
This module translates names and shapes, and reads what it needs to answer.

Names: Langfuse folders are ``/`` in the name (``support/triage``); Promptyard names
cannot hold ``/`` and are unique in a project whatever their folder. A Langfuse name maps
to one Promptyard name by writing each ``/`` as ``..`` (``support..triage``), and a prompt
created this way is put in the matching folder (``support``) for the console. So that the
map is one-to-one, a Langfuse name may not itself contain ``..`` and its folder segments
may not end with ``.``. See docs/langfuse.md.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import NotFound, ValidationFailed
from promptyard.domain.schemas import (
    LATEST_LABEL,
    MAX_OFFSET,
    ListQuery,
    ModelConfig,
    PromptCreate,
    PromptPublic,
    PromptUpdate,
    label_problem,
    name_problem,
    normalize_folder,
)
from promptyard.services.context import Core
from promptyard.services.prompts import registry, search, versions
from promptyard.store.models import SqlVersion

FOLDER_SEPARATOR = ".."
PRODUCTION_LABEL = "production"
MAX_LIMIT = 100
MAX_PAGE = MAX_OFFSET // MAX_LIMIT


# -- names ----------------------------------------------------------------------------


def _bad_name(name: str, reason: str) -> ValidationFailed:
    message = f"prompt name {name!r} cannot be used: {reason}"
    return ValidationFailed(message, details=[{"loc": ["name"], "message": message}])


def promptyard_name(name: str) -> str:
    """The Promptyard name of a Langfuse prompt name (``a/b`` → ``a..b``); 422 if none."""
    if FOLDER_SEPARATOR in name:
        raise _bad_name(name, "'..' is reserved (Promptyard writes Langfuse's folders '/' as '..')")
    segments = name.split("/")
    for segment in segments[:-1]:
        if not segment:
            raise _bad_name(name, "a folder name is empty")
        if segment.endswith("."):
            raise _bad_name(name, "a folder name must not end with '.'")
    stored = FOLDER_SEPARATOR.join(segments)
    for segment in segments:
        problem = name_problem(segment)
        if problem:
            raise _bad_name(name, problem.replace("name must", "each part of the name must"))
    problem = name_problem(stored)
    if problem:
        raise _bad_name(name, problem)
    return stored


def langfuse_name(name: str) -> str:
    """The Langfuse name of a Promptyard prompt name (``a..b`` → ``a/b``)."""
    return name.replace(FOLDER_SEPARATOR, "/")


def folder_of(name: str) -> str:
    """The Promptyard folder a Langfuse name's folders map to ("" at the root)."""
    try:
        return normalize_folder("/".join(name.split("/")[:-1]))
    except ValueError as exc:
        raise _bad_name(name, str(exc)) from None


# -- request bodies -------------------------------------------------------------------


class LangfusePromptCreate(BaseModel):
    """``POST /api/public/v2/prompts``: a new prompt, or a new version of one."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "name": "support/triage",
                    "type": "chat",
                    "prompt": [
                        {"role": "system", "content": "You triage {{topic}} tickets."},
                        {"type": "placeholder", "name": "history"},
                    ],
                    "labels": ["staging"],
                    "tags": ["support"],
                    "config": {"model": "gpt-4o", "temperature": 0.2},
                    "commitMessage": "first",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=255)
    type: Literal["text", "chat"] = "text"
    prompt: str | list[dict[str, Any]]
    config: dict[str, Any] | None = None
    labels: list[str] = Field(default_factory=list, max_length=50)
    tags: list[str] | None = None
    commitMessage: str | None = Field(default=None, max_length=4000)

    @field_validator("prompt")
    @classmethod
    def _messages(cls, value: str | list[dict[str, Any]]) -> str | list[dict[str, Any]]:
        if isinstance(value, str):
            return value
        # Langfuse tags plain messages "chatmessage" (or the SDK "message"): not stored.
        return [
            {k: v for k, v in item.items() if k != "type"}
            if item.get("type") in ("chatmessage", "message")
            else item
            for item in value
        ]


class LangfuseLabelsUpdate(BaseModel):
    """``PATCH /api/public/v2/prompts/{name}/versions/{version}``: labels to add."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"newLabels": ["production"]}]}
    )

    newLabels: list[str] = Field(max_length=50)


# -- answers --------------------------------------------------------------------------


def _prompt_json(prompt: dict[str, Any]) -> dict[str, Any]:
    """Langfuse's prompt object from a :class:`PromptPublic` (as JSON) with its version."""
    version = prompt["version"]
    labels = list(version["labels"])
    return {
        "name": langfuse_name(prompt["name"]),
        "version": version["number"],
        "type": version["type"],
        "prompt": version["content"],
        "config": version["config"],
        "labels": labels,
        "tags": list(prompt["tags"]),
        "commitMessage": version["message"] or None,
        "createdAt": version["created_at"],
        "updatedAt": prompt["updated_at"],
        "createdBy": version["author"],
        "projectId": prompt["project"],
        "isActive": PRODUCTION_LABEL in labels,
        "resolutionGraph": None,
    }


def _not_found(name: str, version: int | None, label: str | None) -> NotFound:
    where = f"with version {version}" if version is not None else f"with label '{label}'"
    return NotFound(f"Prompt not found: '{name}' {where}")


def get_prompt(
    core: Core, *, project_id: int, name: str, version: int | None, label: str | None
) -> dict[str, Any]:
    """One version by ``version`` or ``label`` (default ``production``), Langfuse's shape."""
    stored = promptyard_name(name)
    if version is None and label is None:
        label = PRODUCTION_LABEL
    if version is not None:
        label = None
    try:
        read = registry.get_prompt_json(
            core, project_id=project_id, name=stored, version=version, label=label
        )
    except NotFound:
        raise _not_found(name, version, label) from None
    return _prompt_json(orjson.loads(read.body))


# -- list -----------------------------------------------------------------------------


def list_prompts(
    core: Core,
    *,
    project_id: int,
    name: str | None = None,
    label: str | None = None,
    tag: str | None = None,
    page: int = 1,
    limit: int = 10,
    from_updated_at: datetime | None = None,
    to_updated_at: datetime | None = None,
) -> dict[str, Any]:
    """Prompts (one entry per name, sorted by name) with ``data`` and ``meta`` as Langfuse."""
    if name is not None:
        items, total = _by_name(core, project_id, name, label, tag)
    else:
        try:
            query = ListQuery(
                label=label,
                tags=[tag] if tag else [],
                updated_after=from_updated_at,
                updated_before=to_updated_at,
                sort="name",
                limit=limit,
                offset=(page - 1) * limit,
            )
        except ValidationError as exc:
            message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise ValidationFailed(message) from None
        found = search.list_prompts(core, project_id=project_id, query=query)
        items, total = found.items, found.total
    meta = {
        "page": page,
        "limit": limit,
        "totalItems": total,
        "totalPages": math.ceil(total / limit),
    }
    # "pagination" repeats "meta": Langfuse's first /v2 answers had it, and it still sends both.
    return {"data": _metas(core, items, label), "meta": meta, "pagination": dict(meta)}


def _by_name(
    core: Core, project_id: int, name: str, label: str | None, tag: str | None
) -> tuple[list[PromptPublic], int]:
    try:
        stored = promptyard_name(name)
        prompt = registry.get_prompt(core, project_id=project_id, name=stored)
    except (NotFound, ValidationFailed):
        return [], 0
    if (label is not None and label not in prompt.labels) or (
        tag is not None and tag not in prompt.tags
    ):
        return [], 0
    return [prompt], 1


def _metas(core: Core, items: list[PromptPublic], label: str | None) -> list[dict[str, Any]]:
    """Langfuse's ``PromptMeta`` of each prompt: its versions, labels and last config.

    With a ``label`` filter, like Langfuse, only the version carrying it counts.
    """
    if not items:
        return []
    numbers: dict[int, list[int]] = {item.id: [] for item in items}
    with core.store.read() as session:
        if label is None:
            for prompt_id, number in session.execute(
                select(SqlVersion.prompt_id, SqlVersion.number)
                .where(SqlVersion.prompt_id.in_(list(numbers)))
                .order_by(SqlVersion.number)
            ):
                numbers[prompt_id].append(number)
        else:
            for item in items:
                numbers[item.id] = [item.labels[label]] if label in item.labels else []
        last = {item.id: max(numbers[item.id], default=0) for item in items}
        configs: dict[tuple[int, int], Any] = {}
        for prompt_id, number, config in session.execute(
            select(SqlVersion.prompt_id, SqlVersion.number, SqlVersion.config).where(
                SqlVersion.prompt_id.in_(list(numbers)),
                SqlVersion.number.in_(sorted(set(last.values()))),
            )
        ):
            configs[(prompt_id, number)] = config
    result = []
    for item in items:
        shown = set(numbers[item.id])
        result.append(
            {
                "name": langfuse_name(item.name),
                "type": item.type,
                "versions": numbers[item.id],
                "labels": sorted(name for name, number in item.labels.items() if number in shown),
                "tags": list(item.tags),
                "lastUpdatedAt": item.updated_at,
                "lastConfig": configs.get((item.id, last[item.id])),
            }
        )
    return result


# -- writes ---------------------------------------------------------------------------


def _check_labels(labels: list[str]) -> list[str]:
    for label in labels:
        problem = label_problem(label)
        if problem:
            raise ValidationFailed(problem, details=[{"loc": ["labels"], "message": problem}])
    return list(dict.fromkeys(labels))


def _guard_labels(core: Core, project_id: int, labels: list[str]) -> None:
    """Refuse before anything is written if a guard (a protected label) refuses a label."""
    if not labels:
        return
    with core.store.read() as session:
        for label in labels:
            versions.guard_label_move(core, session, project_id, label)


def _model_config(config: dict[str, Any] | None) -> ModelConfig:
    try:
        return ModelConfig.model_validate(config or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in ("config", *first.get("loc", ())))
        message = f"{where}: {first.get('msg')}"
        raise ValidationFailed(message, details=[{"loc": ["config"], "message": message}]) from None


def _set_labels(
    core: Core, *, ctx: RequestContext, project_id: int, stored: str, labels: list[str], number: int
) -> None:
    for label in labels:
        versions.set_label(
            core, ctx=ctx, project_id=project_id, name=stored, label=label, version=number
        )


def create_prompt(
    core: Core, *, ctx: RequestContext, project_id: int, data: LangfusePromptCreate
) -> dict[str, Any]:
    """A new version of ``data.name`` (a new prompt if there is none), then its labels.

    Like Langfuse, the prompt's type cannot change, ``tags`` (when sent) replace the
    prompt's tags, and ``latest`` is the server's. Unlike Langfuse, content equal to the
    newest version makes no new version: the answer is that version, with the labels.
    """
    stored = promptyard_name(data.name)
    labels = _check_labels([label for label in data.labels if label != LATEST_LABEL])
    config = _model_config(data.config)
    _guard_labels(core, project_id, labels)
    try:
        current = registry.get_prompt(core, project_id=project_id, name=stored)
    except NotFound:
        current = None
    try:
        if current is None:
            created = PromptCreate(
                name=stored,
                type=data.type,
                content=data.prompt,
                config=config,
                folder=folder_of(data.name),
                tags=data.tags or [],
                commit_message=data.commitMessage or "",
            )
            result = registry.create_prompt(core, ctx=ctx, project_id=project_id, data=created)
        else:
            if current.type != data.type:
                raise ValidationFailed(
                    "Previous versions have different prompt type. Create a new prompt with "
                    "a different name.",
                    details={"type": current.type},
                )
            update = PromptUpdate(
                type=data.type,
                content=data.prompt,
                config=config,
                tags=data.tags,
                commit_message=data.commitMessage or "",
            )
            result = registry.update_prompt(
                core, ctx=ctx, project_id=project_id, name=stored, data=update
            )
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first.get("loc", ())]
        loc = ["prompt" if part == "content" else part for part in loc]
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        text = f"{'.'.join(loc)}: {message}" if loc else message
        raise ValidationFailed(text, details=[{"loc": loc, "message": message}]) from None
    assert result.version is not None
    number = result.version.number
    _set_labels(core, ctx=ctx, project_id=project_id, stored=stored, labels=labels, number=number)
    return get_prompt(core, project_id=project_id, name=data.name, version=number, label=None)


def update_labels(
    core: Core,
    *,
    ctx: RequestContext,
    project_id: int,
    name: str,
    version: int,
    new_labels: list[str],
) -> dict[str, Any]:
    """Add ``new_labels`` to one version (each moves off the version it was on)."""
    if LATEST_LABEL in new_labels:
        raise ValidationFailed(
            "Label 'latest' is always assigned to the latest prompt version",
            details=[{"loc": ["newLabels"], "message": "'latest' is reserved"}],
        )
    labels = _check_labels(new_labels)
    stored = promptyard_name(name)
    try:
        versions.get_version(core, project_id=project_id, name=stored, number=version)
        registry.get_prompt(core, project_id=project_id, name=stored)  # not a deleted one
    except NotFound:
        raise NotFound(f"Prompt '{name}' version {version} not found in project") from None
    _guard_labels(core, project_id, labels)
    _set_labels(core, ctx=ctx, project_id=project_id, stored=stored, labels=labels, number=version)
    return get_prompt(core, project_id=project_id, name=name, version=version, label=None)
