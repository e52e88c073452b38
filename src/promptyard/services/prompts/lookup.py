"""Finding stored prompts and versions by name, number, label or selector; the include resolver."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from promptyard.domain.errors import (
    BadReference,
    NotFound,
    StoredDataUnreadable,
    ValidationFailed,
)
from promptyard.domain.schemas import (
    LATEST_LABEL,
)
from promptyard.domain.templates import PromptRef
from promptyard.services.context import Core
from promptyard.services.prompts.content_analysis import Resolver
from promptyard.store.models import SqlLabel, SqlProject, SqlPrompt, SqlVersion


def prompt_key(project_id: int, name: str) -> tuple[str, int, str]:
    """The read-cache key of one prompt."""
    return ("prompt", project_id, name)


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
