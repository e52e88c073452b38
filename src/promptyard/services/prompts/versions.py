"""Writing versions and moving labels: the one place a version is committed or a label moved.

Every label move passes the label guards on the Core (governance registers the
protected-label check there), so this module imports nothing of governance.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.domain.content import content_hash
from promptyard.domain.diff import diff_contents
from promptyard.domain.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from promptyard.domain.schemas import (
    LATEST_LABEL,
    MAIN_BRANCH,
    LabelEventPublic,
    LabelPublic,
    PromptPublic,
    RollbackRequest,
    VersionPublic,
    VersionsPublic,
    label_problem,
)
from promptyard.services.context import Core
from promptyard.services.operations import audit, webhooks
from promptyard.services.prompts.content_analysis import Content, analyze_content, search_text
from promptyard.services.prompts.lookup import (
    label_rows,
    labels_of,
    load_label_target,
    load_prompt,
    load_version,
    make_resolver,
    project_slug,
    prompt_key,
)
from promptyard.services.prompts.presenters import prompt_public, version_public
from promptyard.store.models import (
    SqlBranch,
    SqlLabel,
    SqlLabelEvent,
    SqlPrompt,
    SqlVersion,
)


def guard_label_move(core: Core, session: Session, project_id: int, label: str) -> None:
    """Every label guard on the Core may refuse moving ``label`` directly (raises)."""
    for guard in core.label_guards:
        guard(session, project_id, label)


def write_label(
    core: Core,
    session: Session,
    prompt: SqlPrompt,
    label: str,
    to_version: int | None,
    actor: str,
    *,
    rows: dict[str, SqlLabel] | None = None,
) -> int | None:
    """Point ``label`` at ``to_version`` (None removes it) and record the move.

    ``rows``, the prompt's label rows when the caller has read them (:func:`label_rows`),
    saves a query and is kept up to date. Returns the version it pointed to before (None
    if it did not exist).
    """
    if rows is None:
        row = session.execute(
            select(SqlLabel).where(SqlLabel.prompt_id == prompt.id, SqlLabel.name == label)
        ).scalar_one_or_none()
    else:
        row = rows.get(label)
    before = row.version if row is not None else None
    if before == to_version:
        return before
    now = core.clock()
    if to_version is None:
        if row is not None:
            session.delete(row)
            if rows is not None:
                del rows[label]
    elif row is None:
        row = SqlLabel(
            prompt_id=prompt.id, name=label, version=to_version, updated_at=now, updated_by=actor
        )
        session.add(row)
        if rows is not None:
            rows[label] = row
    else:
        row.version = to_version
        row.updated_at = now
        row.updated_by = actor
    session.connection().execute(
        _INSERT_LABEL_EVENT,
        {
            "prompt_id": prompt.id,
            "label": label,
            "from_version": before,
            "to_version": to_version,
            "actor": actor,
            "created_at": now,
        },
    )
    return before


# Append-only rows are written by plain statements built once, not through the ORM's
# unit of work: nothing changes them after the insert.
_INSERT_LABEL_EVENT = insert(SqlLabelEvent)
_INSERT_VERSION = insert(SqlVersion)
_VERSION_COLUMNS = tuple(
    column.key for column in SqlVersion.__table__.columns if column.key != "id"
)


def _analyze(
    core: Core, session: Session, prompt: SqlPrompt, branch: str, type_: str, content: Content
) -> tuple[list[dict[str, Any]], list[str]]:
    """Check content about to be committed; its variables and references."""
    overrides: dict[str, str] = {}
    if branch == MAIN_BRANCH and isinstance(content, str):
        overrides[f"prompt:{prompt.name}@{LATEST_LABEL}"] = content
    resolver = make_resolver(session, prompt.project_id, overrides)
    return analyze_content(core, type_, content, resolver)


def commit_version(
    core: Core,
    session: Session,
    prompt: SqlPrompt,
    *,
    ctx: RequestContext,
    branch: str,
    type_: str,
    content: Content,
    config: dict[str, Any],
    message: str,
    parent: int | None,
    merge_parent: int | None = None,
    branch_row: SqlBranch | None = None,
    labels: dict[str, SqlLabel] | None = None,
) -> SqlVersion:
    """Append one version (checked, analysed, hashed) and move the branch head.

    ``branch_row`` and ``labels`` (the prompt's label rows, see :func:`write_label`),
    when the caller has them, save reading them again. The version row is inserted at
    once (append-only); the prompt, branch and label changes go in one flush at the end.
    """
    variables, references = _analyze(core, session, prompt, branch, type_, content)
    for guard in core.version_guards:  # e.g. quality refusing a secret (see Core)
        guard(session, prompt.project_id, type_, content)
    number = prompt.next_version
    version = SqlVersion(
        prompt_id=prompt.id,
        number=number,
        branch=branch,
        type=type_,
        content=content,
        config=config,
        variables=variables,
        references=references,
        content_hash=content_hash(type_, content, config),
        parent=parent,
        merge_parent=merge_parent,
        message=message,
        author=ctx.actor.ref,
        created_at=core.clock(),
    )
    session.connection().execute(
        _INSERT_VERSION, {key: getattr(version, key) for key in _VERSION_COLUMNS}
    )
    with session.no_autoflush:
        prompt.next_version = number + 1
        prompt.updated_at = version.created_at
        prompt.updated_by = ctx.actor.ref
        if branch_row is None:
            branch_row = session.execute(
                select(SqlBranch).where(SqlBranch.prompt_id == prompt.id, SqlBranch.name == branch)
            ).scalar_one()
        branch_row.head = number
        if branch == MAIN_BRANCH:
            prompt.latest_version = number
            prompt.type = type_
            prompt.search_text = search_text(prompt, type_, content)
            write_label(core, session, prompt, LATEST_LABEL, number, ctx.actor.ref, rows=labels)
    session.flush()
    if number > 1:  # the first version is announced by prompt.created
        webhooks.emit_prompt_event(
            core,
            session,
            ctx=ctx,
            prompt=prompt,
            event="version.created",
            data={
                "version": number,
                "branch": branch,
                "parent": parent,
                "hash": version.content_hash,
                "message": message,
            },
        )
    return version


def list_versions(
    core: Core,
    *,
    project_id: int,
    name: str,
    branch: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> VersionsPublic:
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name, include_deleted=True)
        query = select(SqlVersion).where(SqlVersion.prompt_id == prompt.id)
        count = select(func.count()).where(SqlVersion.prompt_id == prompt.id)
        if branch:
            query = query.where(SqlVersion.branch == branch)
            count = count.where(SqlVersion.branch == branch)
        total = session.execute(count.select_from(SqlVersion)).scalar_one()
        rows = session.execute(
            query.order_by(SqlVersion.number.desc()).limit(limit).offset(offset)
        ).scalars()
        labels = labels_of(session, prompt.id)
        return VersionsPublic(items=[version_public(row, labels) for row in rows], total=int(total))


def get_version(core: Core, *, project_id: int, name: str, number: int) -> VersionPublic:
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name, include_deleted=True)
        return version_public(load_version(session, prompt, number), labels_of(session, prompt.id))


def diff(core: Core, *, project_id: int, name: str, old: int, new: int) -> dict[str, Any]:
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name, include_deleted=True)
        a = load_version(session, prompt, old)
        b = load_version(session, prompt, new)
    result = diff_contents(
        a.type,
        a.content,
        a.config,
        b.type,
        b.content,
        b.config,
        from_name=f"{name}@v{old}",
        to_name=f"{name}@v{new}",
    )
    return {"from": old, "to": new, **result}


def rollback(
    core: Core, *, ctx: RequestContext, project_id: int, name: str, data: RollbackRequest
) -> PromptPublic:
    """A new version on main equal to an old one; history is never rewritten."""
    with core.store.write() as session:
        prompt = load_prompt(session, project_id, name, for_update=True)
        if data.base_version is not None and data.base_version != prompt.latest_version:
            raise Conflict(
                f"prompt {name!r} is at version {prompt.latest_version}, but the rollback was "
                f"based on version {data.base_version}; reload and try again",
                code="stale_version",
                details={"current": prompt.latest_version, "base_version": data.base_version},
            )
        target = load_version(session, prompt, data.version)
        version = commit_version(
            core,
            session,
            prompt,
            ctx=ctx,
            branch=MAIN_BRANCH,
            type_=target.type,
            content=target.content,
            config=dict(target.config),
            message=data.commit_message or f"Rollback to version {data.version}",
            parent=prompt.latest_version,
        )
        audit.append(
            core,
            session,
            ctx=ctx,
            action="prompt.rollback",
            object_type="prompt",
            object_id=str(prompt.id),
            summary={"name": name, "to": data.version, "version": version.number},
        )
        result = prompt_public(
            prompt, project_slug(core, session, project_id), labels_of(session, prompt.id), version
        )
    core.cache.invalidate(prompt_key(project_id, name))
    return result


def list_labels(core: Core, *, project_id: int, name: str) -> list[LabelPublic]:
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name, include_deleted=True)
        rows = session.execute(
            select(SqlLabel).where(SqlLabel.prompt_id == prompt.id).order_by(SqlLabel.name)
        ).scalars()
        return [
            LabelPublic(
                name=row.name,
                version=row.version,
                updated_at=row.updated_at,
                updated_by=row.updated_by,
            )
            for row in rows
        ]


def check_label_target(
    core: Core, session: Session, prompt: SqlPrompt, label: str, version: SqlVersion
) -> None:
    """Refuse a label move that would make prompt composition cyclic."""
    if version.type != "text" or not version.references:
        return
    overrides = {f"prompt:{prompt.name}@{label}": str(version.content)}
    resolver = make_resolver(session, prompt.project_id, overrides)
    core.templates.variables(str(version.content), resolver)


def _label_name(label: str) -> None:
    problem = label_problem(label)
    if problem:
        raise ValidationFailed(problem)
    if label == LATEST_LABEL:
        raise ValidationFailed(
            "'latest' is managed by the server: it always points to the newest version on main"
        )


def move_label(
    core: Core,
    session: Session,
    *,
    ctx: RequestContext,
    prompt: SqlPrompt,
    label: str,
    version: int,
    change_request: int | None = None,
) -> int | None:
    """Point ``label`` at ``version`` inside the caller's transaction (label event + audit).

    No policy check: :func:`set_label` checks it, and the review service calls this to
    apply an approved change request. Returns the version the label pointed to before.
    """
    target = load_version(session, prompt, version)
    rows = label_rows(session, prompt.id)
    return _move_label(
        core,
        session,
        ctx=ctx,
        prompt=prompt,
        label=label,
        target=target,
        rows=rows,
        change_request=change_request,
    )


def _move_label(
    core: Core,
    session: Session,
    *,
    ctx: RequestContext,
    prompt: SqlPrompt,
    label: str,
    target: SqlVersion,
    rows: dict[str, SqlLabel],
    change_request: int | None = None,
) -> int | None:
    """:func:`move_label` once the target version and the label rows are loaded."""
    check_label_target(core, session, prompt, label, target)
    before = write_label(core, session, prompt, label, target.number, ctx.actor.ref, rows=rows)
    prompt.updated_at = core.clock()
    prompt.updated_by = ctx.actor.ref
    summary: dict[str, Any] = {
        "name": prompt.name,
        "label": label,
        "from": before,
        "to": target.number,
    }
    if change_request is not None:
        summary["change_request"] = change_request
    audit.append(
        core,
        session,
        ctx=ctx,
        action="label.move",
        object_type="prompt",
        object_id=str(prompt.id),
        summary=summary,
    )
    moved = {"label": label, "from": before, "to": target.number}
    if change_request is not None:
        moved["change_request"] = change_request
    webhooks.emit_prompt_event(
        core, session, ctx=ctx, prompt=prompt, event="label.moved", data=moved
    )
    return before


def set_label(
    core: Core, *, ctx: RequestContext, project_id: int, name: str, label: str, version: int
) -> LabelPublic:
    """Move a label (after the label guards); the prompt, the target version and the
    label are read in one query, and the answer is what was written, not read back."""
    _label_name(label)
    with core.store.write() as session:
        guard_label_move(core, session, project_id, label)
        prompt, target, row = load_label_target(session, project_id, name, label, version)
        rows = {label: row} if row is not None else {}
        _move_label(core, session, ctx=ctx, prompt=prompt, label=label, target=target, rows=rows)
        moved = rows[label]
        result = LabelPublic(
            name=moved.name,
            version=moved.version,
            updated_at=moved.updated_at,
            updated_by=moved.updated_by,
        )
    core.cache.invalidate(prompt_key(project_id, name))
    return result


def delete_label(
    core: Core, *, ctx: RequestContext, project_id: int, name: str, label: str
) -> None:
    _label_name(label)
    with core.store.write() as session:
        guard_label_move(core, session, project_id, label)
        prompt = load_prompt(session, project_id, name, for_update=True)
        before = write_label(core, session, prompt, label, None, ctx.actor.ref)
        if before is None:
            raise NotFound(f"prompt {name!r} has no label {label!r}")
        audit.append(
            core,
            session,
            ctx=ctx,
            action="label.delete",
            object_type="prompt",
            object_id=str(prompt.id),
            summary={"name": name, "label": label, "from": before},
        )
    core.cache.invalidate(prompt_key(project_id, name))


def label_events(
    core: Core, *, project_id: int, name: str, label: str | None = None
) -> list[LabelEventPublic]:
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name, include_deleted=True)
        query = select(SqlLabelEvent).where(SqlLabelEvent.prompt_id == prompt.id)
        if label:
            query = query.where(SqlLabelEvent.label == label)
        rows = session.execute(query.order_by(SqlLabelEvent.id.desc())).scalars()
        return [
            LabelEventPublic(
                label=row.label,
                from_version=row.from_version,
                to_version=row.to_version,
                actor=row.actor,
                created_at=row.created_at,
            )
            for row in rows
        ]
