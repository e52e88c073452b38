"""Finding stored prompts and versions by name, number, label or selector; the include resolver."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, bindparam, select
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
from promptyard.store.models import SqlBranch, SqlLabel, SqlProject, SqlPrompt, SqlVersion


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
    return _found(session.execute(query).scalar_one_or_none(), name, include_deleted)


def _found(prompt: SqlPrompt | None, name: str, include_deleted: bool = False) -> SqlPrompt:
    if prompt is None or (prompt.deleted_at is not None and not include_deleted):
        hint = " (it is deleted; restore it first)" if prompt is not None else ""
        raise NotFound(f"prompt {name!r} not found{hint}", details={"name": name})
    return prompt


# The write path's reads, built once: a statement with bound parameters keeps its cache
# key, where one built per call pays for the key again (a good part of its cost).
_PROMPT_BY_NAME = and_(
    SqlPrompt.project_id == bindparam("project_id"), SqlPrompt.name == bindparam("name")
)
_BRANCH_HEAD = (
    select(SqlPrompt, SqlBranch, SqlVersion, SqlLabel)
    .outerjoin(
        SqlBranch,
        and_(SqlBranch.prompt_id == SqlPrompt.id, SqlBranch.name == bindparam("branch")),
    )
    .outerjoin(
        SqlVersion,
        and_(SqlVersion.prompt_id == SqlPrompt.id, SqlVersion.number == SqlBranch.head),
    )
    .outerjoin(SqlLabel, SqlLabel.prompt_id == SqlPrompt.id)
    .where(_PROMPT_BY_NAME)
)
_LABEL_TARGET = (
    select(SqlPrompt, SqlVersion, SqlLabel)
    .outerjoin(
        SqlVersion,
        and_(SqlVersion.prompt_id == SqlPrompt.id, SqlVersion.number == bindparam("version")),
    )
    .outerjoin(
        SqlLabel, and_(SqlLabel.prompt_id == SqlPrompt.id, SqlLabel.name == bindparam("label"))
    )
    .where(_PROMPT_BY_NAME)
)
_LOCK_PROMPT = select(SqlPrompt.id).where(_PROMPT_BY_NAME).with_for_update()


def load_branch_head(
    session: Session, project_id: int, name: str, branch: str
) -> tuple[SqlPrompt, SqlBranch | None, SqlVersion | None, dict[str, SqlLabel]]:
    """What an update starts from, in one query: a live prompt (locked, see
    :func:`_lock_prompt`), one of its branches and that branch's head version (None when
    they do not exist), and the prompt's label rows by name (one result row per label)."""
    _lock_prompt(session, project_id, name)
    params = {"project_id": project_id, "name": name, "branch": branch}
    rows = session.execute(_BRANCH_HEAD, params).all()
    prompt = _found(rows[0][0] if rows else None, name)
    labels = {label.name: label for *_, label in rows if label is not None}
    return prompt, rows[0][1], rows[0][2], labels


def _lock_prompt(session: Session, project_id: int, name: str) -> None:
    """Lock a prompt's row before a joined read of what hangs off it.

    SQLite needs nothing: a write transaction holds the database's write lock from its
    ``BEGIN IMMEDIATE``, so its reads are current. PostgreSQL needs the lock taken by a
    statement of its own: a ``SELECT … FOR UPDATE`` that waited for another writer
    re-reads the locked row but not the rows joined to it, which would be stale (a
    branch head from before the other writer's commit). The next statement reads anew.
    """
    if session.get_bind().dialect.name != "sqlite":
        session.execute(_LOCK_PROMPT, {"project_id": project_id, "name": name})


def load_label_target(
    session: Session, project_id: int, name: str, label: str, version: int
) -> tuple[SqlPrompt, SqlVersion, SqlLabel | None]:
    """What a label move starts from, in one query: a live prompt (locked, see
    :func:`_lock_prompt`), its version ``version`` and its label row ``label`` (None if
    the label does not exist yet)."""
    _lock_prompt(session, project_id, name)
    params = {"project_id": project_id, "name": name, "version": version, "label": label}
    row = session.execute(_LABEL_TARGET, params).first()
    prompt = _found(row[0] if row is not None else None, name)
    assert row is not None
    if row[1] is None:
        raise _no_version(prompt, version)
    return prompt, row[1], row[2]


def load_version(session: Session, prompt: SqlPrompt, number: int) -> SqlVersion:
    version = session.execute(
        select(SqlVersion).where(SqlVersion.prompt_id == prompt.id, SqlVersion.number == number)
    ).scalar_one_or_none()
    if version is None:
        raise _no_version(prompt, number)
    return version


def _no_version(prompt: SqlPrompt, number: int) -> NotFound:
    return NotFound(
        f"prompt {prompt.name!r} has no version {number}; its versions are 1 to "
        f"{prompt.next_version - 1}",
        details={"version": number},
    )


def labels_of(session: Session, prompt_id: int) -> dict[str, int]:
    rows = session.execute(
        select(SqlLabel.name, SqlLabel.version)
        .where(SqlLabel.prompt_id == prompt_id)
        .order_by(SqlLabel.name)
    )
    return {name: version for name, version in rows}


def label_rows(session: Session, prompt_id: int) -> dict[str, SqlLabel]:
    """A prompt's label rows by name, for a write that moves labels and then answers
    with all of them (:func:`label_map`) without reading them again."""
    rows = session.execute(select(SqlLabel).where(SqlLabel.prompt_id == prompt_id)).scalars()
    return {row.name: row for row in rows}


def label_map(rows: dict[str, SqlLabel]) -> dict[str, int]:
    """``{name: version}`` of label rows, ordered by name as :func:`labels_of` is."""
    return {name: rows[name].version for name in sorted(rows)}


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
