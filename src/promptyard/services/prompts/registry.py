"""The prompt registry: create, read, update, delete and restore prompts, and bulk actions."""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.domain.content import content_hash
from promptyard.domain.errors import AlreadyExists, Conflict, NotFound, ValidationFailed
from promptyard.domain.schemas import (
    MAIN_BRANCH,
    BulkAction,
    PromptCreate,
    PromptPublic,
    PromptUpdate,
    parse_content,
)
from promptyard.services.context import Core
from promptyard.services.operations import audit, webhooks
from promptyard.services.prompts.content_analysis import Content, search_text
from promptyard.services.prompts.lookup import (
    label_map,
    labels_of,
    load_branch_head,
    load_prompt,
    load_version,
    names_missing,
    project_slug,
    prompt_key,
    resolve_selector,
    unreadable_prompt,
)
from promptyard.services.prompts.presenters import dumps, prompt_public
from promptyard.services.prompts.versions import commit_version, guard_label_move, write_label
from promptyard.store.models import (
    SqlBranch,
    SqlLabel,
    SqlPrompt,
    SqlPromptTag,
    SqlVersion,
)


def _set_tags(session: Session, prompt: SqlPrompt, tags: list[str]) -> None:
    prompt.tags = list(tags)
    session.execute(delete(SqlPromptTag).where(SqlPromptTag.prompt_id == prompt.id))
    for tag in tags:
        session.add(SqlPromptTag(prompt_id=prompt.id, tag=tag))


def _refresh_search(session: Session, prompt: SqlPrompt, head: SqlVersion | None = None) -> None:
    """Recompute the prompt's search text (kept in the full-text index by the database)
    from its latest version; ``head``, when it is that version, saves reading it."""
    if prompt.latest_version:
        latest = head
        if latest is None or latest.number != prompt.latest_version:
            latest = session.execute(
                select(SqlVersion).where(
                    SqlVersion.prompt_id == prompt.id, SqlVersion.number == prompt.latest_version
                )
            ).scalar_one()
        prompt.search_text = search_text(prompt, latest.type, latest.content)


def create_prompt(
    core: Core, *, ctx: RequestContext, project_id: int, data: PromptCreate
) -> PromptPublic:
    try:
        with core.store.write() as session:
            _check_name_free(session, project_id, data.name)
            prompt, main = _add_prompt(core, session, ctx=ctx, project_id=project_id, data=data)
            labels: dict[str, SqlLabel] = {}
            version = commit_version(
                core,
                session,
                prompt,
                ctx=ctx,
                branch=MAIN_BRANCH,
                type_=data.type,
                content=data.content,
                config=data.config.to_dict(),
                message=data.commit_message or "Initial version",
                parent=None,
                branch_row=main,
                labels=labels,
            )
            audit.append(
                core,
                session,
                ctx=ctx,
                action="prompt.create",
                object_type="prompt",
                object_id=str(prompt.id),
                summary={"name": prompt.name, "version": 1, "hash": version.content_hash},
            )
            webhooks.emit_prompt_event(
                core,
                session,
                ctx=ctx,
                prompt=prompt,
                event="prompt.created",
                data={"version": 1, "hash": version.content_hash},
            )
            slug = project_slug(core, session, project_id)
            result = prompt_public(prompt, slug, label_map(labels), version)
    except IntegrityError:
        raise AlreadyExists(
            f"prompt {data.name!r} already exists", details={"name": data.name}
        ) from None
    core.cache.invalidate(prompt_key(project_id, data.name))
    return result


def _check_name_free(session: Session, project_id: int, name: str) -> None:
    """:class:`AlreadyExists` if the project has a prompt (live or deleted) named ``name``."""
    existing = session.execute(
        select(SqlPrompt.deleted_at).where(
            SqlPrompt.project_id == project_id, SqlPrompt.name == name
        )
    ).first()
    if existing is not None:
        hint = "; it is deleted: restore it or choose another name" if existing[0] else ""
        raise AlreadyExists(f"prompt {name!r} already exists{hint}", details={"name": name})


def _add_prompt(
    core: Core, session: Session, *, ctx: RequestContext, project_id: int, data: PromptCreate
) -> tuple[SqlPrompt, SqlBranch]:
    """A new prompt row with its tags and its (empty) main branch; no version yet."""
    now = core.clock()
    prompt = SqlPrompt(
        project_id=project_id,
        name=data.name,
        folder=data.folder,
        type=data.type,
        description=data.description,
        tags=[],
        meta=data.metadata,
        latest_version=0,
        next_version=1,
        search_text="",
        created_at=now,
        created_by=ctx.actor.ref,
        updated_at=now,
        updated_by=ctx.actor.ref,
    )
    session.add(prompt)
    session.flush()
    _set_tags(session, prompt, data.tags)
    main = SqlBranch(
        prompt_id=prompt.id,
        name=MAIN_BRANCH,
        base=None,
        head=None,
        created_at=now,
        created_by=ctx.actor.ref,
    )
    session.add(main)
    return prompt, main


def get_prompt(
    core: Core,
    *,
    project_id: int,
    name: str,
    version: int | None = None,
    label: str | None = None,
    include_deleted: bool = False,
) -> PromptPublic:
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name, include_deleted=include_deleted)
        labels = labels_of(session, prompt.id)
        selected = resolve_selector(session, prompt, version=version, label=label, labels=labels)
        return prompt_public(prompt, project_slug(core, session, project_id), labels, selected)


class PromptJson(NamedTuple):
    """A prompt read as the cache keeps it: the serialized prompt, its version number, and
    whether the prompt is deprecated (so no one sniffs the bytes for it)."""

    body: bytes
    number: int
    deprecated: bool


def get_prompt_json(
    core: Core, *, project_id: int, name: str, version: int | None = None, label: str | None = None
) -> PromptJson:
    """A :class:`PromptJson` from the read cache: the agents' hot path."""
    key = prompt_key(project_id, name)
    view = (version, label)
    cached: PromptJson | None = core.cache.get(key, view)
    if cached is not None:
        return cached
    generation = core.cache.generation(key)
    prompt = get_prompt(core, project_id=project_id, name=name, version=version, label=label)
    assert prompt.version is not None
    try:
        body = dumps(prompt)
    except (orjson.JSONEncodeError, ValueError):  # pydantic: maximum depth exceeded
        raise unreadable_prompt(name, prompt.version.number) from None
    entry = PromptJson(body, prompt.version.number, prompt.lifecycle == "deprecated")
    core.cache.put(key, view, entry, generation)
    return entry


def get_prompt_by_id(core: Core, *, workspace_id: int, prompt_id: int) -> tuple[int, str]:
    """``(project_id, name)`` of a prompt id, only within the actor's workspace."""
    from promptyard.store.models import SqlProject

    with core.store.read() as session:
        row = session.execute(
            select(SqlPrompt.project_id, SqlPrompt.name)
            .join(SqlProject, SqlProject.id == SqlPrompt.project_id)
            .where(SqlPrompt.id == prompt_id, SqlProject.workspace_id == workspace_id)
        ).first()
    if row is None:
        raise NotFound(f"prompt {prompt_id} not found")
    return int(row[0]), str(row[1])


def update_prompt(
    core: Core,
    *,
    ctx: RequestContext,
    project_id: int,
    name: str,
    data: PromptUpdate,
    if_match: int | None = None,
) -> PromptPublic:
    """Change a prompt's fields; new content, config or type commits a new version.

    ``base_version`` (or ``If-Match``) must name the branch's head, else ``stale_version``.
    The prompt (locked), the branch, its head and the labels are read in one query, and
    the answer is built from what was written.
    """
    base = _base_version(data, if_match)
    with core.store.write() as session:
        prompt, branch, head, labels = load_branch_head(session, project_id, name, data.branch)
        if branch is None or head is None:
            raise NotFound(f"prompt {name!r} has no branch {data.branch!r}")
        if base is not None and base != branch.head:
            raise _stale(name, data.branch, branch.head, base)
        type_, content, config = _updated_content(data, head)
        changed = _apply_fields(session, prompt, data)
        fields_changed = bool(changed)
        version = head
        if content_hash(type_, content, config) != head.content_hash:
            version = commit_version(
                core,
                session,
                prompt,
                ctx=ctx,
                branch=data.branch,
                type_=type_,
                content=content,
                config=config,
                message=data.commit_message,
                parent=head.number,
                branch_row=branch,
                labels=labels,
            )
            changed["version"] = version.number
            changed["hash"] = version.content_hash
        elif fields_changed:
            prompt.updated_at = core.clock()
            prompt.updated_by = ctx.actor.ref
        if fields_changed and (version is head or data.branch != MAIN_BRANCH):
            _refresh_search(session, prompt, head)  # a commit on main has refreshed it
        if changed:
            audit.append(
                core,
                session,
                ctx=ctx,
                action="prompt.update",
                object_type="prompt",
                object_id=str(prompt.id),
                summary={"name": name, **changed},
            )
        slug = project_slug(core, session, project_id)
        result = prompt_public(prompt, slug, label_map(labels), version)
    core.cache.invalidate(prompt_key(project_id, name))
    return result


def _base_version(data: PromptUpdate, if_match: int | None) -> int | None:
    """The version an update was based on: ``base_version`` or ``If-Match`` (not both)."""
    if data.base_version is not None and if_match is not None and data.base_version != if_match:
        raise ValidationFailed("base_version and If-Match disagree; send one of them")
    return data.base_version if data.base_version is not None else if_match


def _stale(name: str, branch: str, current: int | None, base: int) -> Conflict:
    return Conflict(
        f"prompt {name!r} is at version {current} on branch {branch}, but the "
        f"update was based on version {base}; reload and apply your change again",
        code="stale_version",
        details={"current": current, "base_version": base, "branch": branch},
    )


def _updated_content(data: PromptUpdate, head: SqlVersion) -> tuple[str, Content, dict[str, Any]]:
    """``(type, content, config)`` after an update: the head's, with the update's changes."""
    type_ = data.type or head.type
    if data.content is not None:
        try:
            content: Content = parse_content(type_, data.content)
        except ValueError as exc:
            raise ValidationFailed(
                str(exc), details=[{"loc": ["content"], "message": str(exc)}]
            ) from None
    elif type_ != head.type:
        raise ValidationFailed("changing the type needs new content of that type")
    else:
        content = head.content
    config = data.config.to_dict() if data.config is not None else dict(head.config)
    return type_, content, config


def _apply_fields(session: Session, prompt: SqlPrompt, data: PromptUpdate) -> dict[str, Any]:
    """Set the prompt's own fields (not versioned); what changed, for the audit event."""
    changed: dict[str, Any] = {}
    if data.folder is not None and data.folder != prompt.folder:
        changed["folder"] = [prompt.folder, data.folder]
        prompt.folder = data.folder
    if data.description is not None and data.description != prompt.description:
        changed["description"] = True
        prompt.description = data.description
    if data.tags is not None and data.tags != prompt.tags:
        changed["tags"] = [prompt.tags, data.tags]
        _set_tags(session, prompt, data.tags)
    if data.metadata is not None and data.metadata != prompt.meta:
        changed["metadata"] = True
        prompt.meta = data.metadata
    return changed


def delete_prompt(core: Core, *, ctx: RequestContext, project_id: int, name: str) -> None:
    with core.store.write() as session:
        prompt = load_prompt(session, project_id, name, for_update=True)
        prompt.deleted_at = core.clock()
        prompt.updated_at = prompt.deleted_at
        prompt.updated_by = ctx.actor.ref
        audit.append(
            core,
            session,
            ctx=ctx,
            action="prompt.delete",
            object_type="prompt",
            object_id=str(prompt.id),
            summary={"name": name},
        )
        webhooks.emit_prompt_event(
            core, session, ctx=ctx, prompt=prompt, event="prompt.deleted", data={}
        )
    core.cache.invalidate(prompt_key(project_id, name))


def restore_prompt(core: Core, *, ctx: RequestContext, project_id: int, name: str) -> PromptPublic:
    with core.store.write() as session:
        prompt = load_prompt(session, project_id, name, for_update=True, include_deleted=True)
        if prompt.deleted_at is None:
            raise Conflict(f"prompt {name!r} is not deleted")
        prompt.deleted_at = None
        prompt.updated_at = core.clock()
        prompt.updated_by = ctx.actor.ref
        audit.append(
            core,
            session,
            ctx=ctx,
            action="prompt.restore",
            object_type="prompt",
            object_id=str(prompt.id),
            summary={"name": name},
        )
        webhooks.emit_prompt_event(
            core, session, ctx=ctx, prompt=prompt, event="prompt.restored", data={}
        )
        latest = resolve_selector(session, prompt, version=prompt.latest_version, label=None)
        result = prompt_public(
            prompt, project_slug(core, session, project_id), labels_of(session, prompt.id), latest
        )
    core.cache.invalidate(prompt_key(project_id, name))
    return result


def bulk(core: Core, *, ctx: RequestContext, project_id: int, action: BulkAction) -> int:
    """Apply one action to many prompts, all or nothing."""
    names = list(dict.fromkeys(action.names))
    with core.store.write() as session:
        query = select(SqlPrompt).where(
            SqlPrompt.project_id == project_id, SqlPrompt.name.in_(names)
        )
        if action.action != "restore":
            query = query.where(SqlPrompt.deleted_at.is_(None))
        else:
            query = query.where(SqlPrompt.deleted_at.is_not(None))
        prompts = session.execute(query.with_for_update()).scalars().all()
        missing = names_missing((p.name for p in prompts), names)
        if missing:
            state = "deleted " if action.action == "restore" else ""
            raise NotFound(
                f"no {state}prompt named {', '.join(missing)}; nothing was changed",
                details={"missing": missing},
            )
        if action.action == "label":
            assert action.label is not None
            guard_label_move(core, session, project_id, action.label)
        now = core.clock()
        for prompt in prompts:
            if action.action == "tag":
                _set_tags(
                    session, prompt, list(dict.fromkeys([*prompt.tags, *(action.tags or [])]))
                )
                _refresh_search(session, prompt)
            elif action.action == "untag":
                drop = set(action.tags or [])
                _set_tags(session, prompt, [tag for tag in prompt.tags if tag not in drop])
                _refresh_search(session, prompt)
            elif action.action == "move":
                prompt.folder = action.folder or ""
                _refresh_search(session, prompt)
            elif action.action == "label":
                assert action.label is not None
                from promptyard.services.prompts.versions import check_label_target

                latest = load_version(session, prompt, prompt.latest_version)
                check_label_target(core, session, prompt, action.label, latest)
                before = write_label(
                    core, session, prompt, action.label, prompt.latest_version, ctx.actor.ref
                )
                moved = {"label": action.label, "from": before, "to": prompt.latest_version}
                webhooks.emit_prompt_event(
                    core, session, ctx=ctx, prompt=prompt, event="label.moved", data=moved
                )
            elif action.action == "delete":
                prompt.deleted_at = now
                webhooks.emit_prompt_event(
                    core, session, ctx=ctx, prompt=prompt, event="prompt.deleted", data={}
                )
            elif action.action == "restore":
                prompt.deleted_at = None
                webhooks.emit_prompt_event(
                    core, session, ctx=ctx, prompt=prompt, event="prompt.restored", data={}
                )
            prompt.updated_at = now
            prompt.updated_by = ctx.actor.ref
        audit.append(
            core,
            session,
            ctx=ctx,
            action=f"prompt.bulk_{action.action}",
            object_type="prompt",
            object_id=",".join(str(p.id) for p in prompts)[:200],
            summary={
                "names": names,
                "tags": action.tags,
                "folder": action.folder,
                "label": action.label,
            },
        )
    for name in names:
        core.cache.invalidate(prompt_key(project_id, name))
    return len(prompts)
