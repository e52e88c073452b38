"""Stored prompts and versions turned into their public schemas (and the cached JSON bytes)."""

from __future__ import annotations

from typing import Any

import orjson

from promptyard.domain.schemas import (
    PromptPublic,
    VariablePublic,
    VersionPublic,
)
from promptyard.store.models import SqlPrompt, SqlVersion


def version_public(version: SqlVersion, labels: dict[str, int]) -> VersionPublic:
    return VersionPublic(
        number=version.number,
        branch=version.branch,
        type=version.type,  # type: ignore[arg-type]
        content=version.content,
        config=version.config,
        variables=[VariablePublic(**variable) for variable in version.variables],
        references=list(version.references),
        content_hash=version.content_hash,
        parent=version.parent,
        merge_parent=version.merge_parent,
        message=version.message,
        author=version.author,
        created_at=version.created_at,
        labels=sorted(name for name, number in labels.items() if number == version.number),
    )


def prompt_public(
    prompt: SqlPrompt,
    project: str,
    labels: dict[str, int],
    version: SqlVersion | None = None,
) -> PromptPublic:
    return PromptPublic(
        id=prompt.id,
        project=project,
        name=prompt.name,
        folder=prompt.folder,
        type=prompt.type,  # type: ignore[arg-type]
        description=prompt.description,
        tags=list(prompt.tags),
        metadata=dict(prompt.meta),
        latest_version=prompt.latest_version,
        labels=labels,
        created_at=prompt.created_at,
        created_by=prompt.created_by,
        updated_at=prompt.updated_at,
        updated_by=prompt.updated_by,
        deleted_at=prompt.deleted_at,
        lifecycle=prompt.lifecycle or "draft",
        version=version_public(version, labels) if version is not None else None,
    )


def dumps(model: Any) -> bytes:
    # A compact copy: orjson hands back its larger working buffer, which would otherwise
    # stay allocated for as long as the read cache keeps the body.
    return bytes(bytearray(orjson.dumps(model.model_dump(mode="json"))))
