"""Branches of a prompt's history and the three-way merge from their nearest common ancestor."""

from __future__ import annotations

from collections import deque

from sqlalchemy import select
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import AlreadyExists, Conflict, NotFound, ValidationFailed
from promptyard.domain.merge import MergeResult, merge_contents
from promptyard.domain.schemas import (
    MAIN_BRANCH,
    BranchCreate,
    BranchPublic,
    MergeRequest,
    PromptPublic,
)
from promptyard.services.context import Core
from promptyard.services.operations import audit
from promptyard.services.prompts.lookup import (
    labels_of,
    load_prompt,
    load_version,
    project_slug,
    prompt_key,
)
from promptyard.services.prompts.presenters import prompt_public
from promptyard.services.prompts.versions import commit_version
from promptyard.store.models import SqlBranch, SqlPrompt, SqlVersion


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
        rows = _branches_to_merge(session, prompt, branch=branch, data=data)
        ours_no, theirs_no = rows[data.into].head, rows[branch].head
        assert ours_no is not None and theirs_no is not None
        base_no = _merge_base_of(
            session, prompt, branch=branch, into=data.into, ours_no=ours_no, theirs_no=theirs_no
        )
        ours, result = _three_way_merge(
            session,
            prompt,
            branch=branch,
            into=data.into,
            base_no=base_no,
            ours_no=ours_no,
            theirs_no=theirs_no,
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


def _branches_to_merge(
    session: Session, prompt: SqlPrompt, *, branch: str, data: MergeRequest
) -> dict[str, SqlBranch]:
    """The branch merged and the one merged into, by name; ``stale_version`` if the target
    moved on since ``data.base_version``."""
    rows = {
        row.name: row
        for row in session.execute(
            select(SqlBranch).where(
                SqlBranch.prompt_id == prompt.id, SqlBranch.name.in_([branch, data.into])
            )
        ).scalars()
    }
    if branch not in rows:
        raise NotFound(f"prompt {prompt.name!r} has no branch {branch!r}")
    if data.into not in rows:
        raise NotFound(f"prompt {prompt.name!r} has no branch {data.into!r}")
    ours_no = rows[data.into].head
    if data.base_version is not None and data.base_version != ours_no:
        raise Conflict(
            f"branch {data.into} is at version {ours_no}, but the merge was based on "
            f"version {data.base_version}; reload and try again",
            code="stale_version",
            details={"current": ours_no, "base_version": data.base_version},
        )
    return rows


def _merge_base_of(
    session: Session, prompt: SqlPrompt, *, branch: str, into: str, ours_no: int, theirs_no: int
) -> int | None:
    """The nearest common ancestor of both heads; ``nothing_to_merge`` if it is theirs."""
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
            f"branch {branch!r} has nothing to merge: {into} already contains version {theirs_no}",
            code="nothing_to_merge",
        )
    return base_no


def _three_way_merge(
    session: Session,
    prompt: SqlPrompt,
    *,
    branch: str,
    into: str,
    base_no: int | None,
    ours_no: int,
    theirs_no: int,
) -> tuple[SqlVersion, MergeResult]:
    """Our head and the merged type, content and config; ``merge_conflict`` if they clash.

    Without a common ancestor, the base is an empty version of our type."""
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
            f"merging {branch!r} into {into!r} conflicts in "
            f"{len(result.conflicts)} place(s); resolve them on one branch and merge again",
            code="merge_conflict",
            details={
                "base": base_no,
                "ours": ours_no,
                "theirs": theirs_no,
                "conflicts": [conflict.to_dict() for conflict in result.conflicts],
            },
        )
    return ours, result
