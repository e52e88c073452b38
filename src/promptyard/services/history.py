"""History of a prompt: versions, diff, rollback, labels, branches and merge."""

from __future__ import annotations

from collections import deque
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.domain.diff import diff_contents
from promptyard.domain.errors import AlreadyExists, Conflict, NotFound, ValidationFailed
from promptyard.domain.merge import merge_contents
from promptyard.domain.schemas import (
    LATEST_LABEL,
    MAIN_BRANCH,
    BranchCreate,
    BranchPublic,
    LabelEventPublic,
    LabelPublic,
    MergeRequest,
    PromptPublic,
    RollbackRequest,
    VersionPublic,
    VersionsPublic,
    label_problem,
)
from promptyard.services import audit
from promptyard.services._prompts import (
    labels_of,
    load_prompt,
    load_version,
    make_resolver,
    project_slug,
    prompt_key,
    prompt_public,
    version_public,
    write_label,
)
from promptyard.services.core import Core
from promptyard.services.registry import commit_version
from promptyard.services.review import check_label_move
from promptyard.store.models import SqlBranch, SqlLabel, SqlLabelEvent, SqlPrompt, SqlVersion


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
    check_label_target(core, session, prompt, label, target)
    before = write_label(core, session, prompt, label, version, ctx.actor.ref)
    prompt.updated_at = core.clock()
    prompt.updated_by = ctx.actor.ref
    summary: dict[str, Any] = {"name": prompt.name, "label": label, "from": before, "to": version}
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
    return before


def set_label(
    core: Core, *, ctx: RequestContext, project_id: int, name: str, label: str, version: int
) -> LabelPublic:
    _label_name(label)
    with core.store.write() as session:
        check_label_move(session, project_id, label)
        prompt = load_prompt(session, project_id, name, for_update=True)
        move_label(core, session, ctx=ctx, prompt=prompt, label=label, version=version)
        row = session.execute(
            select(SqlLabel).where(SqlLabel.prompt_id == prompt.id, SqlLabel.name == label)
        ).scalar_one()
        result = LabelPublic(
            name=row.name,
            version=row.version,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )
    core.cache.invalidate(prompt_key(project_id, name))
    return result


def delete_label(
    core: Core, *, ctx: RequestContext, project_id: int, name: str, label: str
) -> None:
    _label_name(label)
    with core.store.write() as session:
        check_label_move(session, project_id, label)
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


def _branch_public(row: SqlBranch) -> BranchPublic:
    return BranchPublic(
        name=row.name,
        head=row.head,
        base=row.base,
        created_at=row.created_at,
        created_by=row.created_by,
        merged_at=row.merged_at,
    )


def list_branches(core: Core, *, project_id: int, name: str) -> list[BranchPublic]:
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name, include_deleted=True)
        rows = session.execute(
            select(SqlBranch).where(SqlBranch.prompt_id == prompt.id).order_by(SqlBranch.id)
        ).scalars()
        return [_branch_public(row) for row in rows]


def create_branch(
    core: Core, *, ctx: RequestContext, project_id: int, name: str, data: BranchCreate
) -> BranchPublic:
    if data.name == MAIN_BRANCH:
        raise AlreadyExists("branch 'main' always exists")
    with core.store.write() as session:
        prompt = load_prompt(session, project_id, name, for_update=True)
        load_version(session, prompt, data.from_version)
        exists = session.execute(
            select(SqlBranch.id).where(
                SqlBranch.prompt_id == prompt.id, SqlBranch.name == data.name
            )
        ).first()
        if exists is not None:
            raise AlreadyExists(f"prompt {name!r} already has a branch {data.name!r}")
        row = SqlBranch(
            prompt_id=prompt.id,
            name=data.name,
            base=data.from_version,
            head=data.from_version,
            created_at=core.clock(),
            created_by=ctx.actor.ref,
        )
        session.add(row)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="branch.create",
            object_type="prompt",
            object_id=str(prompt.id),
            summary={"name": name, "branch": data.name, "from": data.from_version},
        )
        session.flush()
        result = _branch_public(row)
    core.cache.invalidate(prompt_key(project_id, name))
    return result


def delete_branch(
    core: Core, *, ctx: RequestContext, project_id: int, name: str, branch: str
) -> None:
    if branch == MAIN_BRANCH:
        raise ValidationFailed("branch 'main' cannot be deleted")
    with core.store.write() as session:
        prompt = load_prompt(session, project_id, name, for_update=True)
        row = session.execute(
            select(SqlBranch).where(SqlBranch.prompt_id == prompt.id, SqlBranch.name == branch)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"prompt {name!r} has no branch {branch!r}")
        session.delete(row)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="branch.delete",
            object_type="prompt",
            object_id=str(prompt.id),
            summary={"name": name, "branch": branch},
        )


def _ancestors(parents: dict[int, tuple[int | None, int | None]], start: int) -> dict[int, int]:
    """Every ancestor of ``start`` (itself included) with its distance."""
    seen = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for parent in parents.get(node, (None, None)):
            if parent is not None and parent not in seen:
                seen[parent] = seen[node] + 1
                queue.append(parent)
    return seen


def merge_base(parents: dict[int, tuple[int | None, int | None]], a: int, b: int) -> int | None:
    """The nearest common ancestor of two versions in the version graph."""
    left = _ancestors(parents, a)
    right = _ancestors(parents, b)
    common = set(left) & set(right)
    if not common:
        return None
    return min(common, key=lambda node: (left[node] + right[node], -node))


def merge_branch(
    core: Core,
    *,
    ctx: RequestContext,
    project_id: int,
    name: str,
    branch: str,
    data: MergeRequest,
) -> PromptPublic:
    """Three-way merge of ``branch`` into ``data.into``; conflicts are a 409, never guessed."""
    if branch == data.into:
        raise ValidationFailed("cannot merge a branch into itself")
    with core.store.write() as session:
        prompt = load_prompt(session, project_id, name, for_update=True)
        rows = {
            row.name: row
            for row in session.execute(
                select(SqlBranch).where(
                    SqlBranch.prompt_id == prompt.id, SqlBranch.name.in_([branch, data.into])
                )
            ).scalars()
        }
        if branch not in rows:
            raise NotFound(f"prompt {name!r} has no branch {branch!r}")
        if data.into not in rows:
            raise NotFound(f"prompt {name!r} has no branch {data.into!r}")
        ours_no, theirs_no = rows[data.into].head, rows[branch].head
        assert ours_no is not None and theirs_no is not None
        if data.base_version is not None and data.base_version != ours_no:
            raise Conflict(
                f"branch {data.into} is at version {ours_no}, but the merge was based on "
                f"version {data.base_version}; reload and try again",
                code="stale_version",
                details={"current": ours_no, "base_version": data.base_version},
            )
        parents = {
            number: (parent, merge_parent)
            for number, parent, merge_parent in session.execute(
                select(SqlVersion.number, SqlVersion.parent, SqlVersion.merge_parent).where(
                    SqlVersion.prompt_id == prompt.id
                )
            )
        }
        base_no = merge_base(parents, ours_no, theirs_no)
        if base_no == theirs_no:
            raise Conflict(
                f"branch {branch!r} has nothing to merge: {data.into} already contains "
                f"version {theirs_no}",
                code="nothing_to_merge",
            )
        ours = load_version(session, prompt, ours_no)
        theirs = load_version(session, prompt, theirs_no)
        base = load_version(session, prompt, base_no) if base_no is not None else None
        result = merge_contents(
            base.type if base else ours.type,
            base.content if base else ([] if ours.type == "chat" else ""),
            dict(base.config) if base else {},
            ours.type,
            ours.content,
            dict(ours.config),
            theirs.type,
            theirs.content,
            dict(theirs.config),
        )
        if not result.ok:
            raise Conflict(
                f"merging {branch!r} into {data.into!r} conflicts in "
                f"{len(result.conflicts)} place(s); resolve them on one branch and merge again",
                code="merge_conflict",
                details={
                    "base": base_no,
                    "ours": ours_no,
                    "theirs": theirs_no,
                    "conflicts": [conflict.to_dict() for conflict in result.conflicts],
                },
            )
        assert result.content is not None and result.config is not None
        merged_type = result.type or ours.type
        version = commit_version(
            core,
            session,
            prompt,
            ctx=ctx,
            branch=data.into,
            type_=merged_type,
            content=result.content,
            config=result.config,
            message=data.commit_message or f"Merge branch {branch!r} into {data.into}",
            parent=ours_no,
            merge_parent=theirs_no,
        )
        rows[branch].merged_at = core.clock()
        audit.append(
            core,
            session,
            ctx=ctx,
            action="branch.merge",
            object_type="prompt",
            object_id=str(prompt.id),
            summary={"name": name, "branch": branch, "into": data.into, "version": version.number},
        )
        public = prompt_public(
            prompt, project_slug(core, session, project_id), labels_of(session, prompt.id), version
        )
    core.cache.invalidate(prompt_key(project_id, name))
    return public
