"""Helpers shared by the prompt services: loading, template analysis, serialization."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from promptyard.domain.diff import content_to_text
from promptyard.domain.errors import (
    BadReference,
    NotFound,
    StoredDataUnreadable,
    ValidationFailed,
)
from promptyard.domain.schemas import (
    LATEST_LABEL,
    PromptPublic,
    VariablePublic,
    VersionPublic,
    content_length,
)
from promptyard.domain.templates import PromptRef
from promptyard.services.core import Core
from promptyard.store.models import SqlLabel, SqlProject, SqlPrompt, SqlVersion

Content = str | list[dict[str, Any]]
Resolver = Callable[[PromptRef], str]


def prompt_key(project_id: int, name: str) -> tuple[str, int, str]:
    """The read-cache key of one prompt."""
    return ("prompt", project_id, name)


def content_hash(type_: str, content: Content, config: dict[str, Any]) -> str:
    payload = orjson.dumps(
        {"type": type_, "content": content, "config": config}, option=orjson.OPT_SORT_KEYS
    )
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def search_text(prompt: SqlPrompt, type_: str, content: Content) -> str:
    parts = [
        prompt.name,
        prompt.folder.replace("/", " "),
        prompt.description,
        " ".join(prompt.tags),
    ]
    parts.append(content_to_text(type_, content))
    return "\n".join(part for part in parts if part)


def load_prompt(
    session: Session,
    project_id: int,
    name: str,
    *,
    for_update: bool = False,
    include_deleted: bool = False,
) -> SqlPrompt:
    query = select(SqlPrompt).where(SqlPrompt.project_id == project_id, SqlPrompt.name == name)
    if for_update:
        query = query.with_for_update()
    prompt = session.execute(query).scalar_one_or_none()
    if prompt is None or (prompt.deleted_at is not None and not include_deleted):
        hint = " (it is deleted; restore it first)" if prompt is not None else ""
        raise NotFound(f"prompt {name!r} not found{hint}", details={"name": name})
    return prompt


def load_version(session: Session, prompt: SqlPrompt, number: int) -> SqlVersion:
    version = session.execute(
        select(SqlVersion).where(SqlVersion.prompt_id == prompt.id, SqlVersion.number == number)
    ).scalar_one_or_none()
    if version is None:
        raise NotFound(
            f"prompt {prompt.name!r} has no version {number}; its versions are 1 to "
            f"{prompt.next_version - 1}",
            details={"version": number},
        )
    return version


def labels_of(session: Session, prompt_id: int) -> dict[str, int]:
    rows = session.execute(
        select(SqlLabel.name, SqlLabel.version)
        .where(SqlLabel.prompt_id == prompt_id)
        .order_by(SqlLabel.name)
    )
    return {name: version for name, version in rows}


def resolve_selector(
    session: Session,
    prompt: SqlPrompt,
    *,
    version: int | None,
    label: str | None,
    labels: dict[str, int] | None = None,
) -> SqlVersion:
    """The version named by ``version`` or ``label`` (default: ``latest``).

    ``labels``, when the caller has already read them (:func:`labels_of`), saves a query.
    """
    if version is not None and label is not None:
        raise ValidationFailed("give either version or label, not both")
    if version is None:
        label = label or LATEST_LABEL
        if labels is not None:
            number = labels.get(label)
        else:
            number = session.execute(
                select(SqlLabel.version).where(
                    SqlLabel.prompt_id == prompt.id, SqlLabel.name == label
                )
            ).scalar_one_or_none()
        if number is None:
            raise NotFound(
                f"prompt {prompt.name!r} has no label {label!r}", details={"label": label}
            )
        version = number
    return load_version(session, prompt, version)


def project_slug(core: Core, session: Session, project_id: int) -> str:
    """A project's slug. Slugs never change, so each is read once per process."""
    slug = core.project_slugs.get(project_id)
    if slug is None:
        slug = str(
            session.execute(select(SqlProject.slug).where(SqlProject.id == project_id)).scalar_one()
        )
        core.project_slugs[project_id] = slug
    return slug


def make_resolver(
    session: Session, project_id: int, overrides: dict[str, str] | None = None
) -> Resolver:
    """Resolve ``prompt:NAME@LABEL`` / ``prompt:NAME@vN`` inside one project.

    ``overrides`` maps canonical references (``str(PromptRef)``) to sources, for checks
    of content that is about to be saved (e.g. the new version ``latest`` will be).
    """

    def resolve(ref: PromptRef) -> str:
        key = str(ref)
        if overrides and key in overrides:
            return overrides[key]
        prompt = session.execute(
            select(SqlPrompt).where(
                SqlPrompt.project_id == project_id,
                SqlPrompt.name == ref.name,
                SqlPrompt.deleted_at.is_(None),
            )
        ).scalar_one_or_none()
        if prompt is None:
            raise BadReference(
                f"{key}: there is no prompt {ref.name!r} in this project",
                details={"reference": key},
            )
        try:
            version = resolve_selector(session, prompt, version=ref.version, label=ref.label)
        except NotFound as exc:
            raise BadReference(f"{key}: {exc.message}", details={"reference": key}) from None
        if version.type != "text":
            raise BadReference(
                f"{key}: only text prompts can be included, and {ref.name!r} is a chat prompt",
                details={"reference": key},
            )
        return str(version.content)

    return resolve


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
    if isinstance(content, str):
        return []
    return [str(item["name"]) for item in content if item.get("type") == "placeholder"]


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


def unreadable_prompt(name: str, version: int | None = None) -> StoredDataUnreadable:
    """The error for a prompt whose stored JSON cannot be served (stored before today's
    checks, or edited in the database), instead of an unexplained 500."""
    which = f"prompt {name!r}" + (f" (version {version})" if version is not None else "")
    return StoredDataUnreadable(
        f"{which} holds stored JSON that cannot be read back (nested too deep or not "
        "serializable); an operator can fix it with `promptyard db check --repair`",
        details={"name": name, "version": version},
    )


def names_missing(found: Iterable[str], wanted: Iterable[str]) -> list[str]:
    have = set(found)
    return sorted({name for name in wanted if name not in have})


def write_label(
    core: Core, session: Session, prompt: SqlPrompt, label: str, to_version: int | None, actor: str
) -> int | None:
    """Point ``label`` at ``to_version`` (None removes it) and record the move.

    Returns the version it pointed to before (None if it did not exist).
    """
    from promptyard.store.models import SqlLabelEvent

    row = session.execute(
        select(SqlLabel).where(SqlLabel.prompt_id == prompt.id, SqlLabel.name == label)
    ).scalar_one_or_none()
    before = row.version if row is not None else None
    if before == to_version:
        return before
    now = core.clock()
    if to_version is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(
            SqlLabel(
                prompt_id=prompt.id,
                name=label,
                version=to_version,
                updated_at=now,
                updated_by=actor,
            )
        )
    else:
        row.version = to_version
        row.updated_at = now
        row.updated_by = actor
    session.add(
        SqlLabelEvent(
            prompt_id=prompt.id,
            label=label,
            from_version=before,
            to_version=to_version,
            actor=actor,
            created_at=now,
        )
    )
    return before
