"""Accounts: users and their memberships, project narrowing, API keys and workspaces.

Everything is seen from the actor's workspace: an id that belongs to another workspace
is answered like an id that does not exist (:class:`NotFound`, never Forbidden), and
lists show the actor's workspace only. Every write appends an audit event in the same
transaction; no summary ever holds a password or a key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from promptyard.domain.actor import ROLES, Actor, RequestContext, role_rank
from promptyard.domain.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)
from promptyard.services.context import Core
from promptyard.services.identity import auth
from promptyard.services.identity.projects import DEFAULT_SLUG
from promptyard.services.operations import audit
from promptyard.store.models import (
    SqlApiKey,
    SqlMembership,
    SqlProject,
    SqlProjectMember,
    SqlSession,
    SqlUser,
    SqlWorkspace,
)

MIN_PASSWORD = 10
KeyKind = Literal["api", "langfuse", "feedback"]


def check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationFailed(
            f"unknown role {role!r}: use one of {', '.join(ROLES)}",
            details=[{"loc": ["role"], "message": "unknown role"}],
        )


def check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            f"{field}: a password needs at least {MIN_PASSWORD} characters",
            details=[{"loc": [field], "message": f"at least {MIN_PASSWORD} characters"}],
        )


# -- roles ----------------------------------------------------------------------------


def effective_role(core: Core, actor: Actor, project_id: int | None) -> str:
    """The actor's role in a project: the workspace role, narrowed by a project row.

    A key has its own role (a project-scoped key is already limited to its project).
    """
    if actor.type != "user" or project_id is None:
        return actor.role
    with core.store.read() as session:
        narrowed = session.execute(
            select(SqlProjectMember.role)
            .join(SqlProject, SqlProject.id == SqlProjectMember.project_id)
            .where(
                SqlProjectMember.project_id == project_id,
                SqlProjectMember.user_id == actor.id,
                SqlProject.workspace_id == actor.workspace_id,
            )
        ).scalar_one_or_none()
    if narrowed is None or role_rank(narrowed) >= role_rank(actor.role):
        return actor.role
    return narrowed


# -- users and members ----------------------------------------------------------------


def _member_json(user: SqlUser, membership: SqlMembership) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": membership.role,
        "is_active": user.is_active,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    }


def _membership(session: Session, workspace_id: int, user_id: int) -> tuple[SqlUser, SqlMembership]:
    found = session.execute(
        select(SqlUser, SqlMembership)
        .join(SqlMembership, SqlMembership.user_id == SqlUser.id)
        .where(SqlMembership.workspace_id == workspace_id, SqlUser.id == user_id)
        .with_for_update()
    ).first()
    if found is None:
        raise NotFound(f"user {user_id} not found")
    return found[0], found[1]


def list_members(core: Core, actor: Actor) -> list[dict[str, Any]]:
    with core.store.read() as session:
        rows = session.execute(
            select(SqlUser, SqlMembership)
            .join(SqlMembership, SqlMembership.user_id == SqlUser.id)
            .where(SqlMembership.workspace_id == actor.workspace_id)
            .order_by(SqlUser.email)
        ).all()
        return [_member_json(user, membership) for user, membership in rows]


def create_user(
    core: Core, *, ctx: RequestContext, email: str, name: str, password: str, role: str
) -> dict[str, Any]:
    """An instance administrator creates an account and makes it a member of the workspace.

    An email that already has an account is refused: its owner joins a workspace by
    accepting an invitation with their own password (:mod:`.invitations`), so nobody can
    attach a workspace to someone else's account.
    """
    _require_instance_admin(ctx.actor)
    check_role(role)
    check_password(password)
    email = email.strip().lower()
    workspace_id = ctx.actor.workspace_id
    now = core.clock()
    exists = AlreadyExists(
        f"an account with the email {email} already exists: invite it to the workspace "
        "(POST /api/v1/invitations) and its owner accepts with their own password"
    )
    try:
        with core.store.write() as session:
            if session.execute(select(SqlUser.id).where(SqlUser.email == email)).first():
                raise exists
            user = auth.insert_user(
                core,
                session,
                ctx=ctx,
                email=email,
                name=name,
                password_hash=auth.hash_password(password),
            )
            membership = SqlMembership(
                workspace_id=workspace_id, user_id=user.id, role=role, created_at=now
            )
            session.add(membership)
            session.flush()
            audit.append(
                core,
                session,
                ctx=ctx,
                action="member.add",
                object_type="user",
                object_id=str(user.id),
                summary={"email": email, "role": role},
            )
            return _member_json(user, membership)
    except IntegrityError:
        raise exists from None


def _require_instance_admin(actor: Actor) -> None:
    """Account state (passwords, names, disabling) belongs to the instance, not a workspace."""
    if not actor.instance_admin:
        raise Forbidden(
            "only an instance administrator may create or change accounts; a workspace "
            "admin invites people and manages their membership",
            details={"permission": "account:manage", "role": actor.role},
        )


def _other_admins(session: Session, workspace_id: int, user_id: int) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(SqlMembership)
            .join(SqlUser, SqlUser.id == SqlMembership.user_id)
            .where(
                SqlMembership.workspace_id == workspace_id,
                SqlMembership.role == "admin",
                SqlMembership.user_id != user_id,
                SqlUser.is_active.is_(True),
            )
        ).scalar_one()
    )


def _guard_last_admin(session: Session, membership: SqlMembership, what: str) -> None:
    if membership.role == "admin" and not _other_admins(
        session, membership.workspace_id, membership.user_id
    ):
        raise Conflict(f"cannot {what} the last admin of the workspace", code="last_admin")


def _account(session: Session, user_id: int) -> SqlUser:
    user = session.get(SqlUser, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def _account_json(session: Session, user: SqlUser, workspace_id: int) -> dict[str, Any]:
    """An account as an instance administrator sees it, with its role here (if any)."""
    role = session.execute(
        select(SqlMembership.role).where(
            SqlMembership.workspace_id == workspace_id, SqlMembership.user_id == user.id
        )
    ).scalar_one_or_none()
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": role,
        "is_active": user.is_active,
        "is_instance_admin": user.is_instance_admin,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    }


def _guard_disable(session: Session, user: SqlUser) -> None:
    """No workspace may lose its last active admin, nor the instance its last administrator."""
    for membership in session.execute(
        select(SqlMembership).where(SqlMembership.user_id == user.id, SqlMembership.role == "admin")
    ).scalars():
        _guard_last_admin(session, membership, "disable")
    if user.is_instance_admin:
        _guard_last_instance_admin(session, user.id, "disable")


def _guard_last_instance_admin(session: Session, user_id: int, what: str) -> None:
    others = session.execute(
        select(func.count())
        .select_from(SqlUser)
        .where(
            SqlUser.is_instance_admin.is_(True),
            SqlUser.is_active.is_(True),
            SqlUser.id != user_id,
        )
    ).scalar_one()
    if not others:
        raise Conflict(f"cannot {what} the last instance administrator", code="last_admin")


def update_user(
    core: Core,
    *,
    ctx: RequestContext,
    user_id: int,
    name: str | None = None,
    is_active: bool | None = None,
    is_instance_admin: bool | None = None,
) -> dict[str, Any]:
    """An instance administrator changes an account: its name, active state, admin flag."""
    _require_instance_admin(ctx.actor)
    with core.store.write() as session:
        user = _account(session, user_id)
        changes: dict[str, Any] = {}
        if name is not None and name != user.name:
            user.name = name
            changes["name"] = name
        if is_active is not None and is_active != user.is_active:
            if not is_active:
                _guard_disable(session, user)
                auth.end_user_sessions(session, user.id)
            user.is_active = is_active
            changes["is_active"] = is_active
        if is_instance_admin is not None and is_instance_admin != user.is_instance_admin:
            if not is_instance_admin:
                _guard_last_instance_admin(session, user.id, "demote")
            user.is_instance_admin = is_instance_admin
            changes["is_instance_admin"] = is_instance_admin
        if changes:
            audit.append(
                core,
                session,
                ctx=ctx,
                action="user.update",
                object_type="user",
                object_id=str(user.id),
                summary=changes,
            )
        result = _account_json(session, user, ctx.actor.workspace_id)
    if changes:
        core.actors.clear()  # cached actors carry the instance-admin flag
    return result


def reset_password(core: Core, *, ctx: RequestContext, user_id: int, password: str) -> None:
    """An instance administrator sets a person's password; every session of theirs ends."""
    _require_instance_admin(ctx.actor)
    check_password(password)
    with core.store.write() as session:
        user = _account(session, user_id)
        user.password_hash = auth.hash_password(password)
        auth.end_user_sessions(session, user.id)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="user.password_reset",
            object_type="user",
            object_id=str(user.id),
            summary={"email": user.email},
        )


def change_password(
    core: Core,
    *,
    ctx: RequestContext,
    current_password: str,
    new_password: str,
    session_token: str | None,
) -> None:
    """The signed-in user's own password; their other sessions end."""
    if ctx.actor.type != "user":
        raise Forbidden("only a signed-in user has a password to change")
    check_password(new_password, "new_password")
    with core.store.write() as session:
        user = session.get(SqlUser, ctx.actor.id, with_for_update=True)
        if user is None:
            raise NotFound("user not found")
        if not auth.password_matches(user.password_hash, current_password):
            raise Unauthenticated("the current password is wrong", code="wrong_password")
        user.password_hash = auth.hash_password(new_password)
        auth.end_user_sessions(session, user.id, keep_token=session_token)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="auth.password_change",
            object_type="user",
            object_id=str(user.id),
            summary={"email": user.email},
        )


def set_member_role(core: Core, *, ctx: RequestContext, user_id: int, role: str) -> dict[str, Any]:
    check_role(role)
    with core.store.write() as session:
        user, membership = _membership(session, ctx.actor.workspace_id, user_id)
        if role != membership.role:
            if role_rank(role) < role_rank("admin"):
                _guard_last_admin(session, membership, "demote")
            previous = membership.role
            membership.role = role
            # A project may narrow a role, never raise it: lower rows above the new role.
            projects = select(SqlProject.id).where(
                SqlProject.workspace_id == membership.workspace_id
            )
            for row in session.execute(
                select(SqlProjectMember).where(
                    SqlProjectMember.user_id == user_id,
                    SqlProjectMember.project_id.in_(projects),
                )
            ).scalars():
                if role_rank(row.role) > role_rank(role):
                    row.role = role
            audit.append(
                core,
                session,
                ctx=ctx,
                action="member.role",
                object_type="user",
                object_id=str(user.id),
                summary={"email": user.email, "from": previous, "to": role},
            )
        return _member_json(user, membership)


def remove_member(core: Core, *, ctx: RequestContext, user_id: int) -> None:
    """Remove a user from the workspace; their keys in it are revoked, sessions end."""
    workspace_id = ctx.actor.workspace_id
    with core.store.write() as session:
        user, membership = _membership(session, workspace_id, user_id)
        _guard_last_admin(session, membership, "remove")
        session.delete(membership)
        session.execute(
            delete(SqlProjectMember).where(
                SqlProjectMember.user_id == user_id,
                SqlProjectMember.project_id.in_(
                    select(SqlProject.id).where(SqlProject.workspace_id == workspace_id)
                ),
            )
        )
        key_ids = select(SqlApiKey.id).where(
            SqlApiKey.workspace_id == workspace_id, SqlApiKey.user_id == user_id
        )
        session.execute(delete(SqlSession).where(SqlSession.api_key_id.in_(key_ids)))
        session.execute(
            update(SqlApiKey)
            .where(
                SqlApiKey.workspace_id == workspace_id,
                SqlApiKey.user_id == user_id,
                SqlApiKey.revoked_at.is_(None),
            )
            .values(revoked_at=core.clock())
        )
        session.execute(
            delete(SqlSession).where(
                SqlSession.user_id == user_id, SqlSession.workspace_id == workspace_id
            )
        )
        audit.append(
            core,
            session,
            ctx=ctx,
            action="member.remove",
            object_type="user",
            object_id=str(user.id),
            summary={"email": user.email, "role": membership.role},
        )
    core.actors.clear()


# -- project narrowing ----------------------------------------------------------------


def _project(session: Session, actor: Actor, slug: str) -> SqlProject:
    project = session.execute(
        select(SqlProject).where(
            SqlProject.workspace_id == actor.workspace_id, SqlProject.slug == slug
        )
    ).scalar_one_or_none()
    if project is None or (actor.project_id is not None and actor.project_id != project.id):
        raise NotFound(f"project {slug!r} not found")
    return project


def list_project_members(core: Core, actor: Actor, slug: str) -> list[dict[str, Any]]:
    with core.store.read() as session:
        project = _project(session, actor, slug)
        rows = session.execute(
            select(SqlUser, SqlMembership, SqlProjectMember)
            .join(SqlMembership, SqlMembership.user_id == SqlUser.id)
            .join(SqlProjectMember, SqlProjectMember.user_id == SqlUser.id)
            .where(
                SqlMembership.workspace_id == project.workspace_id,
                SqlProjectMember.project_id == project.id,
            )
            .order_by(SqlUser.email)
        ).all()
        return [
            {
                "user_id": user.id,
                "email": user.email,
                "role": row.role,
                "workspace_role": membership.role,
            }
            for user, membership, row in rows
        ]


def set_project_role(
    core: Core, *, ctx: RequestContext, slug: str, user_id: int, role: str
) -> dict[str, Any]:
    check_role(role)
    try:
        with core.store.write() as session:
            project = _project(session, ctx.actor, slug)
            user, membership = _membership(session, project.workspace_id, user_id)
            if role_rank(role) > role_rank(membership.role):
                raise ValidationFailed(
                    f"a project can narrow a role, not raise it: {user.email} is "
                    f"{membership.role} in the workspace",
                    details=[{"loc": ["role"], "message": "above the workspace role"}],
                )
            row = session.execute(
                select(SqlProjectMember).where(
                    SqlProjectMember.project_id == project.id,
                    SqlProjectMember.user_id == user_id,
                )
            ).scalar_one_or_none()
            if row is None:
                row = SqlProjectMember(
                    project_id=project.id, user_id=user_id, role=role, created_at=core.clock()
                )
                session.add(row)
                action = "project_member.add"
            else:
                row.role = role
                action = "project_member.role"
            audit.append(
                core,
                session,
                ctx=ctx,
                action=action,
                object_type="project_member",
                object_id=f"{project.slug}:{user_id}",
                summary={"project": project.slug, "email": user.email, "role": role},
            )
            return {
                "user_id": user.id,
                "email": user.email,
                "role": role,
                "workspace_role": membership.role,
            }
    except IntegrityError:
        raise Conflict("the project role was changed concurrently; try again") from None


def remove_project_role(core: Core, *, ctx: RequestContext, slug: str, user_id: int) -> None:
    with core.store.write() as session:
        project = _project(session, ctx.actor, slug)
        row = session.execute(
            select(SqlProjectMember).where(
                SqlProjectMember.project_id == project.id, SqlProjectMember.user_id == user_id
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"user {user_id} has no role of its own in project {slug!r}")
        session.delete(row)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="project_member.remove",
            object_type="project_member",
            object_id=f"{project.slug}:{user_id}",
            summary={"project": project.slug, "user_id": user_id},
        )


# -- API keys -------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedKey:
    """A new key: ``secret`` is the only time the plain key is ever available."""

    key: dict[str, Any]
    secret: str
    public_key: str | None


def _key_json(row: SqlApiKey, project_slug: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "prefix": row.prefix,
        "public_key": row.public_key,
        "role": row.role,
        "project": project_slug,
        "user_id": row.user_id,
        "service_account": row.user_id is None,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "last_used_at": row.last_used_at,
        "revoked_at": row.revoked_at,
    }


def create_key(
    core: Core,
    *,
    ctx: RequestContext,
    name: str,
    role: str,
    project: str | None = None,
    expires_at: datetime | None = None,
    service_account: bool = False,
    kind: KeyKind = "api",
) -> CreatedKey:
    actor = ctx.actor
    check_role(role)
    manager = actor.can("key:manage")
    if not manager and role_rank(role) > role_rank(actor.role):
        raise Forbidden(
            f"a key cannot have more power than its creator: your role is '{actor.role}'",
            details={"role": role, "your_role": actor.role},
        )
    if service_account and not manager:
        raise Forbidden("service-account keys need the key:manage permission")
    now = core.clock()
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed(
            "expires_at must be in the future",
            details=[{"loc": ["expires_at"], "message": "in the past"}],
        )
    public_key: str | None = None
    if kind in ("langfuse", auth.FEEDBACK_KEY_KIND) and project is None:
        project = DEFAULT_SLUG  # a Langfuse key pair, a feedback key: always one project
    if kind == auth.FEEDBACK_KEY_KIND:
        if not actor.can("feedback:write"):
            raise Forbidden(
                f"your role '{actor.role}' cannot collect feedback (feedback:write), so it "
                "cannot make a feedback key",
                details={"permission": "feedback:write", "role": actor.role},
            )
        # It posts feedback and nothing else, whatever its stored role.
        role = "viewer"
        secret = auth.FEEDBACK_KEY_PREFIX + secrets.token_urlsafe(24)
    elif kind == "langfuse":
        secret = "sk-py-" + secrets.token_urlsafe(32)
        public_key = "pk-py-" + secrets.token_urlsafe(16)
    else:
        secret = auth.new_api_key()
    with core.store.write() as session:
        project_row = _project(session, actor, project) if project is not None else None
        if project_row is None and actor.project_id is not None:
            raise Forbidden("a key scoped to one project can only create keys for that project")
        row = auth.insert_key(
            core,
            session,
            ctx=ctx,
            workspace_id=actor.workspace_id,
            project_id=project_row.id if project_row else None,
            user_id=actor.id if actor.type == "user" and not service_account else None,
            name=name,
            kind=kind,
            secret=secret,
            public_key=public_key,
            role=role,
            expires_at=expires_at,
            project_slug=project_row.slug if project_row else None,
        )
        key = _key_json(row, project_row.slug if project_row else None)
    return CreatedKey(key=key, secret=secret, public_key=public_key)


def _visible_keys(actor: Actor) -> Any:
    query = (
        select(SqlApiKey, SqlProject.slug)
        .outerjoin(SqlProject, SqlProject.id == SqlApiKey.project_id)
        .where(SqlApiKey.workspace_id == actor.workspace_id)
    )
    if actor.can("key:manage"):
        return query
    if actor.type == "user":
        return query.where(SqlApiKey.user_id == actor.id)
    return query.where(SqlApiKey.id == actor.id)


def list_keys(core: Core, actor: Actor) -> list[dict[str, Any]]:
    """Own keys, or every key of the workspace with key:manage; never a secret."""
    with core.store.read() as session:
        rows = session.execute(_visible_keys(actor).order_by(SqlApiKey.id)).all()
        return [_key_json(row, slug) for row, slug in rows]


def revoke_key(core: Core, *, ctx: RequestContext, key_id: int) -> None:
    """Revoke at once: cached actors are dropped and the key's console sessions end."""
    with core.store.write() as session:
        found = session.execute(_visible_keys(ctx.actor).where(SqlApiKey.id == key_id)).first()
        if found is None:
            raise NotFound(f"API key {key_id} not found")
        row = found[0]
        if row.revoked_at is None:
            row.revoked_at = core.clock()
            session.execute(delete(SqlSession).where(SqlSession.api_key_id == row.id))
            audit.append(
                core,
                session,
                ctx=ctx,
                action="key.revoke",
                object_type="key",
                object_id=str(row.id),
                summary={"name": row.name, "prefix": row.prefix},
            )
    # The actor cache is keyed by the key's SHA-256, which the row keeps: drop just that.
    core.actors.delete(row.key_hash)
    core.actors.delete(("feedback_key", row.key_hash))


# -- workspaces -----------------------------------------------------------------------


def list_workspaces(core: Core, actor: Actor) -> list[dict[str, Any]]:
    with core.store.read() as session:
        rows: list[tuple[SqlWorkspace, str]]
        if actor.type == "user":
            found = session.execute(
                select(SqlWorkspace, SqlMembership.role)
                .join(SqlMembership, SqlMembership.workspace_id == SqlWorkspace.id)
                .where(SqlMembership.user_id == actor.id)
                .order_by(SqlWorkspace.slug)
            ).all()
            rows = [(workspace, role) for workspace, role in found]
        else:
            own = session.get(SqlWorkspace, actor.workspace_id)
            rows = [(own, actor.role)] if own is not None else []
        return [
            {
                "slug": workspace.slug,
                "name": workspace.name,
                "role": role,
                "current": workspace.id == actor.workspace_id,
            }
            for workspace, role in rows
        ]


def create_workspace(core: Core, *, ctx: RequestContext, slug: str, name: str) -> dict[str, Any]:
    """A new workspace with its default project; the creating user becomes its admin.

    Who may create one is the instance setting ``workspace_creation``: instance
    administrators only (the default), or any signed-in user.
    """
    actor = ctx.actor
    if actor.type != "user":
        raise Forbidden("only a signed-in user can create a workspace")
    if core.settings.workspace_creation == "instance_admins" and not actor.instance_admin:
        raise Forbidden(
            "only an instance administrator may create workspaces on this server "
            "(setting PROMPTYARD_WORKSPACE_CREATION)",
            details={"permission": "workspace:create", "role": actor.role},
        )
    now = core.clock()
    try:
        with core.store.write() as session:
            workspace = SqlWorkspace(slug=slug, name=name, created_at=now)
            session.add(workspace)
            session.flush()
            session.add(
                SqlMembership(
                    workspace_id=workspace.id, user_id=actor.id, role="admin", created_at=now
                )
            )
            session.add(
                SqlProject(
                    workspace_id=workspace.id,
                    slug=DEFAULT_SLUG,
                    name="Default project",
                    settings={},
                    created_at=now,
                )
            )
            audit.append(
                core,
                session,
                ctx=ctx,
                action="workspace.create",
                object_type="workspace",
                object_id=str(workspace.id),
                summary={"slug": slug, "name": name},
                workspace_id=workspace.id,
            )
    except IntegrityError:
        raise AlreadyExists(f"workspace {slug!r} already exists") from None
    return {"slug": slug, "name": name, "role": "admin", "current": False}
