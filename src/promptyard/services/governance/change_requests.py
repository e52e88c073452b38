"""Change requests: propose a label move; comment, approve, request changes, apply or close."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from promptyard.domain.actor import Actor, RequestContext
from promptyard.domain.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from promptyard.domain.jsonvalues import check_stored_json
from promptyard.domain.schemas import (
    LABEL_PATTERN,
    NAME_PATTERN,
    Input,
    request_examples,
)
from promptyard.plugins.api import GateContext, VersionView
from promptyard.services.context import Core
from promptyard.services.governance.gates import run_gates
from promptyard.services.governance.lifecycle import ACTIVE, settle_lifecycle
from promptyard.services.governance.policy import labels_ok, load_policy
from promptyard.services.operations import audit, webhooks
from promptyard.services.prompts.lookup import load_prompt, load_version, make_resolver, prompt_key
from promptyard.services.prompts.rendering import render_content
from promptyard.store.models import (
    SqlChangeRequest,
    SqlChangeRequestEvent,
    SqlLabel,
    SqlProject,
    SqlPrompt,
)


def _require_gates(results: list[dict[str, Any]]) -> None:
    failed = [result["gate"] for result in results if not result["ok"]]
    if failed:
        raise ValidationFailed(
            f"quality gate(s) failed: {', '.join(failed)}",
            code="gate_failed",
            details={"gates": results},
        )


class ChangeRequestCreate(Input):
    model_config = request_examples(
        {
            "prompt": "greeting",
            "version": 2,
            "label": "staging",
            "description": "friendlier wording",
            "sample_variables": {"name": "Ada"},
        }
    )

    prompt: str = Field(min_length=1, max_length=128, pattern=NAME_PATTERN)
    version: int = Field(ge=1, le=1_000_000_000)
    label: str = Field(min_length=1, max_length=64, pattern=LABEL_PATTERN)
    description: str = Field("", max_length=20_000)
    sample_variables: dict[str, Any] = Field(default_factory=dict)

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        return labels_ok([value])[0]

    @field_validator("sample_variables")
    @classmethod
    def _samples(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_stored_json(value, "sample_variables")  # stored and served back
        return value


def _event_public(row: SqlChangeRequestEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "actor": row.actor,
        "body": row.body,
        "created_at": row.created_at.isoformat(),
    }


def _approvers(events: list[SqlChangeRequestEvent]) -> list[str]:
    """Distinct approvers since the last request for changes."""
    approvers: list[str] = []
    for event in events:
        if event.kind == "request_changes":
            approvers = []
        elif event.kind == "approve" and event.actor not in approvers:
            approvers.append(event.actor)
    return approvers


def _events(session: Session, request_id: int) -> list[SqlChangeRequestEvent]:
    return list(
        session.execute(
            select(SqlChangeRequestEvent)
            .where(SqlChangeRequestEvent.change_request_id == request_id)
            .order_by(SqlChangeRequestEvent.id)
        ).scalars()
    )


def request_public(
    core: Core,
    session: Session,
    row: SqlChangeRequest,
    *,
    with_events: bool = False,
) -> dict[str, Any]:
    prompt_name, project = session.execute(
        select(SqlPrompt.name, SqlProject.slug)
        .join(SqlProject, SqlProject.id == SqlPrompt.project_id)
        .where(SqlPrompt.id == row.prompt_id)
    ).one()
    events = _events(session, row.id)
    result = _request_fields(row, project=project, prompt=prompt_name, events=events)
    if with_events:
        result["events"] = [_event_public(event) for event in events]
    return result


def _requests_public(session: Session, rows: list[SqlChangeRequest]) -> list[dict[str, Any]]:
    """:func:`request_public` (without events) for many requests in two queries, not two
    per request: one for the prompt names and project slugs, one for the review events."""
    if not rows:
        return []
    names = {
        prompt_id: (name, slug)
        for prompt_id, name, slug in session.execute(
            select(SqlPrompt.id, SqlPrompt.name, SqlProject.slug)
            .join(SqlProject, SqlProject.id == SqlPrompt.project_id)
            .where(SqlPrompt.id.in_(sorted({row.prompt_id for row in rows})))
        )
    }
    events: dict[int, list[SqlChangeRequestEvent]] = {row.id: [] for row in rows}
    for event in session.execute(
        select(SqlChangeRequestEvent)
        .where(
            SqlChangeRequestEvent.change_request_id.in_(list(events)),
            SqlChangeRequestEvent.kind.in_(("approve", "request_changes")),
        )
        .order_by(SqlChangeRequestEvent.id)
    ).scalars():
        events[event.change_request_id].append(event)
    return [
        _request_fields(
            row,
            project=names[row.prompt_id][1],
            prompt=names[row.prompt_id][0],
            events=events[row.id],
        )
        for row in rows
    ]


def _request_fields(
    row: SqlChangeRequest, *, project: str, prompt: str, events: list[SqlChangeRequestEvent]
) -> dict[str, Any]:
    """A change request as the API shows it; ``events`` give the approvals."""
    return {
        "id": row.id,
        "project": project,
        "prompt": prompt,
        "version": row.version,
        "label": row.label,
        "base_version": row.base_version,
        "description": row.description,
        "status": row.status,
        "author": row.author,
        "required_approvals": row.required_approvals,
        "approvals": _approvers(events),
        "sample_variables": row.sample_variables,
        "gate_results": row.gate_results,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "applied_at": row.applied_at.isoformat() if row.applied_at else None,
        "applied_by": row.applied_by,
    }


def _load_request(
    session: Session, actor: Actor, request_id: int, *, for_update: bool = False
) -> SqlChangeRequest:
    query = (
        select(SqlChangeRequest)
        .join(SqlProject, SqlProject.id == SqlChangeRequest.project_id)
        .where(SqlChangeRequest.id == request_id, SqlProject.workspace_id == actor.workspace_id)
    )
    if actor.project_id is not None:
        query = query.where(SqlChangeRequest.project_id == actor.project_id)
    if for_update:
        query = query.with_for_update(of=SqlChangeRequest)
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"change request {request_id} not found")
    return row


def _record(
    core: Core,
    session: Session,
    *,
    ctx: RequestContext,
    row: SqlChangeRequest,
    kind: str,
    body: str,
    action: str,
    event: str | None,
) -> None:
    """One change-request event, its audit entry and its webhook deliveries."""
    now = core.clock()
    row.updated_at = now
    session.add(
        SqlChangeRequestEvent(
            change_request_id=row.id, actor=ctx.actor.ref, kind=kind, body=body, created_at=now
        )
    )
    session.flush()
    audit.append(
        core,
        session,
        ctx=ctx,
        action=action,
        object_type="change_request",
        object_id=str(row.id),
        summary={"status": row.status, "label": row.label, "version": row.version},
    )
    if event is not None:
        payload = request_public(core, session, row)
        payload["actor"] = ctx.actor.ref
        webhooks.enqueue(core, session, project_id=row.project_id, event=event, payload=payload)


def _gate_context(
    core: Core, session: Session, row_project: int, prompt: SqlPrompt, number: int, samples: Any
) -> GateContext:
    version = load_version(session, prompt, number)
    resolver = make_resolver(session, row_project)

    def render(variables: dict[str, Any]) -> object:
        return render_content(core, version.type, version.content, variables, resolver)

    return GateContext(
        project_id=row_project,
        prompt=prompt.name,
        version=VersionView(
            number=version.number,
            type=version.type,
            content=version.content,
            config=dict(version.config or {}),
            variables=list(version.variables or []),
        ),
        sample_variables=dict(samples or {}),
        render=render,
    )


def open_request(
    core: Core, *, ctx: RequestContext, project_id: int, data: ChangeRequestCreate
) -> dict[str, Any]:
    with core.store.write() as session:
        prompt = load_prompt(session, project_id, data.prompt, for_update=True)
        if prompt.lifecycle == "archived":
            raise Conflict(
                f"prompt {data.prompt!r} is archived; set its lifecycle back to draft first",
                code="prompt_archived",
            )
        policy = load_policy(session, project_id)
        gate_ctx = _gate_context(
            core, session, project_id, prompt, data.version, data.sample_variables
        )
        results = run_gates(core, gate_ctx, policy.gates, policy.gate_settings)
        _require_gates(results)
        now = core.clock()
        base_version = session.execute(
            select(SqlLabel.version).where(
                SqlLabel.prompt_id == prompt.id, SqlLabel.name == data.label
            )
        ).scalar_one_or_none()
        row = SqlChangeRequest(
            project_id=project_id,
            prompt_id=prompt.id,
            version=data.version,
            label=data.label,
            base_version=base_version,
            description=data.description,
            status="open",
            author=ctx.actor.ref,
            required_approvals=policy.required_approvals,
            sample_variables=data.sample_variables,
            gate_results=results,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        _record(
            core,
            session,
            ctx=ctx,
            row=row,
            kind="opened",
            body=data.description,
            action="change_request.open",
            event="change_request.opened",
        )
        settle_lifecycle(session, prompt)
        result = request_public(core, session, row, with_events=True)
    core.cache.invalidate(prompt_key(project_id, data.prompt))
    return result


def list_requests(
    core: Core,
    *,
    project_id: int,
    status: str | None = None,
    prompt: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    with core.store.read() as session:
        query = select(SqlChangeRequest).where(SqlChangeRequest.project_id == project_id)
        if status:
            query = query.where(SqlChangeRequest.status == status)
        if prompt:
            query = query.join(SqlPrompt, SqlPrompt.id == SqlChangeRequest.prompt_id).where(
                SqlPrompt.name == prompt
            )
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = session.execute(
            query.order_by(SqlChangeRequest.id.desc()).limit(limit).offset(offset)
        ).scalars()
        items = _requests_public(session, list(rows))
    return {"items": items, "total": int(total), "limit": limit, "offset": offset}


def get_request(core: Core, *, actor: Actor, request_id: int) -> dict[str, Any]:
    with core.store.read() as session:
        row = _load_request(session, actor, request_id)
        return request_public(core, session, row, with_events=True)


def _require_status(row: SqlChangeRequest, allowed: tuple[str, ...], doing: str) -> None:
    if row.status not in allowed:
        raise Conflict(
            f"change request {row.id} is {row.status}; it cannot be {doing}",
            code="invalid_status",
            details={"status": row.status, "allowed": list(allowed)},
        )


def comment(core: Core, *, ctx: RequestContext, request_id: int, body: str) -> dict[str, Any]:
    with core.store.write() as session:
        row = _load_request(session, ctx.actor, request_id, for_update=True)
        _record(
            core,
            session,
            ctx=ctx,
            row=row,
            kind="comment",
            body=body,
            action="change_request.comment",
            event="change_request.commented",
        )
        return request_public(core, session, row, with_events=True)


def approve(core: Core, *, ctx: RequestContext, request_id: int, body: str = "") -> dict[str, Any]:
    with core.store.write() as session:
        row = _load_request(session, ctx.actor, request_id, for_update=True)
        _require_status(row, ("open", "changes_requested", "approved"), "approved")
        if row.author == ctx.actor.ref:
            raise Forbidden(
                "the author of a change request cannot approve it; ask another reviewer",
                code="self_approval",
            )
        events = _events(session, row.id)
        if ctx.actor.ref in _approvers(events):
            raise Conflict("you already approved this change request", code="already_approved")
        prompt = session.get(SqlPrompt, row.prompt_id)
        assert prompt is not None
        policy = load_policy(session, row.project_id)
        results = run_gates(
            core,
            _gate_context(core, session, row.project_id, prompt, row.version, row.sample_variables),
            policy.gates,
            policy.gate_settings,
        )
        _require_gates(results)
        row.gate_results = results
        count = len(_approvers(events)) + 1
        row.status = "approved" if count >= row.required_approvals else "open"
        _record(
            core,
            session,
            ctx=ctx,
            row=row,
            kind="approve",
            body=body,
            action="change_request.approve",
            event="change_request.approved",
        )
        return request_public(core, session, row, with_events=True)


def request_changes(
    core: Core, *, ctx: RequestContext, request_id: int, body: str
) -> dict[str, Any]:
    with core.store.write() as session:
        row = _load_request(session, ctx.actor, request_id, for_update=True)
        _require_status(row, ("open", "changes_requested", "approved"), "sent back")
        row.status = "changes_requested"
        _record(
            core,
            session,
            ctx=ctx,
            row=row,
            kind="request_changes",
            body=body,
            action="change_request.request_changes",
            event="change_request.changes_requested",
        )
        return request_public(core, session, row, with_events=True)


def apply(core: Core, *, ctx: RequestContext, request_id: int) -> dict[str, Any]:
    from promptyard.services.prompts.versions import move_label

    with core.store.write() as session:
        row = _load_request(session, ctx.actor, request_id, for_update=True)
        _require_status(row, ("approved",), "applied (it needs its approvals first)")
        prompt = session.execute(
            select(SqlPrompt).where(SqlPrompt.id == row.prompt_id).with_for_update()
        ).scalar_one()
        if prompt.deleted_at is not None:
            raise Conflict(f"prompt {prompt.name!r} is deleted; restore it first")
        move_label(
            core,
            session,
            ctx=ctx,
            prompt=prompt,
            label=row.label,
            version=row.version,
            change_request=row.id,
        )
        now = core.clock()
        row.status = "applied"
        row.applied_at = now
        row.applied_by = ctx.actor.ref
        prompt.lifecycle = "published"
        settle_lifecycle(session, prompt)
        _record(
            core,
            session,
            ctx=ctx,
            row=row,
            kind="apply",
            body="",
            action="change_request.apply",
            event="change_request.applied",
        )
        result = request_public(core, session, row, with_events=True)
        project_id, name = prompt.project_id, prompt.name
    core.cache.invalidate(prompt_key(project_id, name))
    return result


def close(core: Core, *, ctx: RequestContext, request_id: int, body: str = "") -> dict[str, Any]:
    with core.store.write() as session:
        row = _load_request(session, ctx.actor, request_id, for_update=True)
        _require_status(row, ACTIVE, "closed")
        if row.author != ctx.actor.ref and not ctx.actor.can("review:approve"):
            raise Forbidden("only the author or a reviewer can close a change request")
        row.status = "closed"
        _record(
            core,
            session,
            ctx=ctx,
            row=row,
            kind="close",
            body=body,
            action="change_request.close",
            event="change_request.closed",
        )
        prompt = session.get(SqlPrompt, row.prompt_id)
        assert prompt is not None
        settle_lifecycle(session, prompt)
        result = request_public(core, session, row, with_events=True)
        project_id, name = prompt.project_id, prompt.name
    core.cache.invalidate(prompt_key(project_id, name))
    return result
