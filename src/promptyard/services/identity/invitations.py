"""Invitations: how a workspace admin adds a person without touching their account.

Users are global and a workspace admin governs only memberships of their own workspace.
To add someone, the admin invites an email with a role; the answer is the same whether or
not an account has that email, and shows nothing of it. The person accepts with the
one-time token (handed to them by the admin) and a password:

- when an account has the invited email, the password must be that account's current
  password (counted by the sign-in throttle), so a token alone never opens an account;
- otherwise the account is created with that password.

Tokens are 256-bit random values; only their SHA-256 is stored, and the plain token is in
the inviter's answer once. A new invitation for the same email and workspace replaces a
pending one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from promptyard.domain.actor import Actor, RequestContext
from promptyard.domain.errors import AlreadyExists, Conflict, NotFound, Unauthenticated
from promptyard.services.context import Core
from promptyard.services.identity import auth
from promptyard.services.identity.accounts import check_password, check_role
from promptyard.services.operations import audit
from promptyard.store.models import SqlInvitation, SqlMembership, SqlUser, SqlWorkspace

TOKEN_PREFIX = "pyi_"
UNUSABLE = "this invitation is unknown, expired, revoked or already accepted; ask for a new one"


@dataclass(frozen=True)
class CreatedInvitation:
    """A new invitation: ``token`` is the only time the plain token is available."""

    invitation: dict[str, Any]
    token: str


def _status(row: SqlInvitation, now: datetime) -> str:
    if row.accepted_at is not None:
        return "accepted"
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= now else "pending"


def _invitation_json(row: SqlInvitation, now: datetime) -> dict[str, Any]:
    return {
        "id": row.id,
        "email": row.email,
        "role": row.role,
        "status": _status(row, now),
        "created_by": row.created_by,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "accepted_at": row.accepted_at,
    }


def create_invitation(
    core: Core, *, ctx: RequestContext, email: str, role: str
) -> CreatedInvitation:
    """Invite ``email`` to the actor's workspace as ``role``; reveals nothing of accounts."""
    check_role(role)
    email = email.strip().lower()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = core.clock()
    workspace_id = ctx.actor.workspace_id
    with core.store.write() as session:
        session.execute(
            update(SqlInvitation)
            .where(
                SqlInvitation.workspace_id == workspace_id,
                SqlInvitation.email == email,
                SqlInvitation.accepted_at.is_(None),
                SqlInvitation.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        row = SqlInvitation(
            workspace_id=workspace_id,
            email=email,
            role=role,
            token_hash=auth.hash_secret(token),
            created_by=ctx.actor.ref,
            created_at=now,
            expires_at=now + timedelta(days=core.settings.invitation_days),
        )
        session.add(row)
        session.flush()
        audit.append(
            core,
            session,
            ctx=ctx,
            action="invitation.create",
            object_type="invitation",
            object_id=str(row.id),
            summary={"email": email, "role": role},
        )
        return CreatedInvitation(invitation=_invitation_json(row, now), token=token)


def list_invitations(core: Core, actor: Actor) -> list[dict[str, Any]]:
    """The workspace's invitations, newest first; never a token."""
    now = core.clock()
    with core.store.read() as session:
        rows = session.execute(
            select(SqlInvitation)
            .where(SqlInvitation.workspace_id == actor.workspace_id)
            .order_by(SqlInvitation.id.desc())
            .limit(500)
        ).scalars()
        return [_invitation_json(row, now) for row in rows]


def revoke_invitation(core: Core, *, ctx: RequestContext, invitation_id: int) -> None:
    now = core.clock()
    with core.store.write() as session:
        row = session.execute(
            select(SqlInvitation)
            .where(
                SqlInvitation.id == invitation_id,
                SqlInvitation.workspace_id == ctx.actor.workspace_id,
            )
            .with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"invitation {invitation_id} not found")
        if _status(row, now) != "pending":
            return
        row.revoked_at = now
        audit.append(
            core,
            session,
            ctx=ctx,
            action="invitation.revoke",
            object_type="invitation",
            object_id=str(row.id),
            summary={"email": row.email},
        )


@dataclass(frozen=True)
class Accepted:
    actor: Actor
    workspace: dict[str, str]


def accept_invitation(
    core: Core,
    *,
    token: str,
    password: str,
    name: str = "",
    ip: str | None = None,
    request_id: str | None = None,
) -> Accepted:
    """Join the invitation's workspace with an existing account's password, or a new one."""
    now = core.clock()
    with core.store.read() as session:
        found = session.execute(
            select(SqlInvitation).where(SqlInvitation.token_hash == auth.hash_secret(token))
        ).scalar_one_or_none()
        if found is None or _status(found, now) != "pending":
            raise NotFound(UNUSABLE, code="invitation_unusable")
        email, invitation_id = found.email, found.id
        user = session.execute(select(SqlUser).where(SqlUser.email == email)).scalar_one_or_none()
    auth.check_throttle(core, email, ip)
    anonymous = Actor(type="system", id=0, name=f"anonymous:{email}", role="viewer", workspace_id=0)
    if user is not None:
        if not auth.password_matches(user.password_hash, password):
            auth.record_sign_in_failure(
                core,
                email=email,
                ctx=RequestContext(actor=anonymous, request_id=request_id, ip=ip),
                workspace_id=None,
                reason="wrong password on an invitation",
            )
            raise Unauthenticated(
                "an account with this email exists: accept with its current password",
                code="wrong_password",
            )
        if not user.is_active:
            raise Unauthenticated("this account is disabled")
        auth.clear_throttle(core, email)
    else:
        check_password(password)
    password_hash = auth.hash_password(password) if user is None else None
    try:
        return _join(
            core,
            invitation_id=invitation_id,
            user_id=user.id if user is not None else None,
            name=name,
            password_hash=password_hash,
            ip=ip,
            request_id=request_id,
        )
    except IntegrityError:
        raise Conflict("the invitation was accepted concurrently; sign in") from None


def _join(
    core: Core,
    *,
    invitation_id: int,
    user_id: int | None,
    name: str,
    password_hash: str | None,
    ip: str | None,
    request_id: str | None,
) -> Accepted:
    now = core.clock()
    with core.store.write() as session:
        row = session.get(SqlInvitation, invitation_id, with_for_update=True)
        if row is None or _status(row, now) != "pending":
            raise NotFound(UNUSABLE, code="invitation_unusable")
        if user_id is None:
            assert password_hash is not None
            invitation = Actor(
                type="system",
                id=0,
                name=f"invitation:{row.id}",
                role=row.role,
                workspace_id=row.workspace_id,
            )
            user = auth.insert_user(
                core,
                session,
                ctx=RequestContext(actor=invitation, request_id=request_id, ip=ip),
                email=row.email,
                name=name,
                password_hash=password_hash,
                via="invitation",
                audit_workspace_id=row.workspace_id,
            )
        else:
            existing = session.get(SqlUser, user_id)
            assert existing is not None
            user = existing
        if session.execute(
            select(SqlMembership.id).where(
                SqlMembership.workspace_id == row.workspace_id,
                SqlMembership.user_id == user.id,
            )
        ).first():
            raise AlreadyExists("you are already a member of this workspace; sign in")
        membership = SqlMembership(
            workspace_id=row.workspace_id, user_id=user.id, role=row.role, created_at=now
        )
        session.add(membership)
        row.accepted_at = now
        workspace = session.get(SqlWorkspace, row.workspace_id)
        assert workspace is not None
        actor = auth.user_actor(user, membership)
        ctx = RequestContext(actor=actor, request_id=request_id, ip=ip)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="invitation.accept",
            object_type="invitation",
            object_id=str(row.id),
            summary={"email": row.email, "role": row.role},
        )
        return Accepted(actor=actor, workspace={"slug": workspace.slug, "name": workspace.name})
