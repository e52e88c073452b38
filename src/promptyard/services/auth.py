"""Identity: users, API keys, console sessions, and the start-up bootstrap.

API keys are random 256-bit tokens; only their SHA-256 is stored (a fast hash is right
for high-entropy secrets), and the plain key is shown once. Passwords are argon2 hashes.
Lookups go by hash, so no secret is ever compared character by character.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from promptyard.domain.actor import SYSTEM, Actor, RequestContext
from promptyard.domain.errors import Unauthenticated
from promptyard.services import audit
from promptyard.services.core import Core
from promptyard.services.projects import ensure_default_workspace
from promptyard.store.models import SqlApiKey, SqlMembership, SqlSession, SqlUser

KEY_PREFIX = "py_"
_hasher = PasswordHasher()
# A real hash to spend the same time on unknown emails as on wrong passwords.
_DUMMY_HASH = _hasher.hash("promptyard-timing-equalizer")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _key_actor(row: SqlApiKey) -> Actor:
    return Actor(
        type="key",
        id=row.id,
        name=f"key:{row.name}",
        role=row.role,
        workspace_id=row.workspace_id,
        project_id=row.project_id,
    )


def authenticate_api_key(core: Core, token: str) -> Actor:
    """The actor of a Bearer key, or :class:`Unauthenticated`."""
    key_hash = hash_secret(token)
    cache = core.actors
    actor = cache.get(key_hash)
    if actor is not None:
        return actor
    now = core.clock()
    with core.store.write() as session:
        row = session.execute(
            select(SqlApiKey).where(SqlApiKey.key_hash == key_hash)
        ).scalar_one_or_none()
        if row is None or row.revoked_at is not None:
            raise Unauthenticated("invalid API key")
        if row.expires_at is not None and row.expires_at <= now:
            raise Unauthenticated("this API key has expired")
        row.last_used_at = now
        actor = _key_actor(row)
    cache.put(key_hash, actor)
    return actor


def _user_actor(user: SqlUser, membership: SqlMembership) -> Actor:
    return Actor(
        type="user",
        id=user.id,
        name=user.email,
        role=membership.role,
        workspace_id=membership.workspace_id,
    )


def authenticate_password(core: Core, email: str, password: str) -> Actor:
    email = email.strip().lower()
    with core.store.read() as session:
        row = session.execute(
            select(SqlUser, SqlMembership)
            .join(SqlMembership, SqlMembership.user_id == SqlUser.id)
            .where(SqlUser.email == email)
            .order_by(SqlMembership.id)
            .limit(1)
        ).first()
    if row is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password + "x")
        raise Unauthenticated("wrong email or password")
    user, membership = row
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise Unauthenticated("wrong email or password") from None
    if not user.is_active:
        raise Unauthenticated("this account is disabled")
    return _user_actor(user, membership)


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    actor: Actor
    expires_at: datetime


def create_session(core: Core, actor: Actor) -> NewSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = core.clock()
    expires = now + timedelta(days=core.settings.session_days)
    with core.store.write() as session:
        session.add(
            SqlSession(
                token_hash=hash_secret(token),
                csrf_token=csrf,
                user_id=actor.id if actor.type == "user" else None,
                api_key_id=actor.id if actor.type == "key" else None,
                created_at=now,
                expires_at=expires,
            )
        )
        if actor.type == "user":
            user = session.get(SqlUser, actor.id)
            if user is not None:
                user.last_login_at = now
        audit.append(
            core,
            session,
            ctx=RequestContext(actor=actor),
            action="auth.sign_in",
            object_type=actor.type,
            object_id=str(actor.id),
            summary={"via": actor.type},
        )
    return NewSession(token=token, csrf_token=csrf, actor=actor, expires_at=expires)


def authenticate_session(core: Core, token: str) -> tuple[Actor, str]:
    """``(actor, csrf_token)`` of a live console session, or :class:`Unauthenticated`."""
    now = core.clock()
    with core.store.read() as session:
        row = session.execute(
            select(SqlSession).where(SqlSession.token_hash == hash_secret(token))
        ).scalar_one_or_none()
        if row is None or row.expires_at <= now:
            raise Unauthenticated("your session has expired; sign in again")
        if row.user_id is not None:
            found = session.execute(
                select(SqlUser, SqlMembership)
                .join(SqlMembership, SqlMembership.user_id == SqlUser.id)
                .where(SqlUser.id == row.user_id)
                .order_by(SqlMembership.id)
                .limit(1)
            ).first()
            if found is None or not found[0].is_active:
                raise Unauthenticated("this account is disabled")
            return _user_actor(found[0], found[1]), row.csrf_token
        key = session.get(SqlApiKey, row.api_key_id)
        if key is None or key.revoked_at is not None:
            raise Unauthenticated("the API key of this session was revoked")
        return _key_actor(key), row.csrf_token


def end_session(core: Core, token: str) -> None:
    with core.store.write() as session:
        row = session.execute(
            select(SqlSession).where(SqlSession.token_hash == hash_secret(token))
        ).scalar_one_or_none()
        if row is not None:
            session.delete(row)


def bootstrap(core: Core) -> None:
    """Create the default workspace and project, and the PROMPTYARD_INIT_* accounts."""
    settings = core.settings
    workspace_id, project_id = ensure_default_workspace(core)
    ctx = RequestContext(actor=SYSTEM)
    now = core.clock()
    try:
        with core.store.write() as session:
            if settings.init_admin_email and settings.init_admin_password:
                email = settings.init_admin_email.strip().lower()
                exists = session.execute(
                    select(SqlUser.id).where(SqlUser.email == email)
                ).scalar_one_or_none()
                if exists is None:
                    user = SqlUser(
                        email=email,
                        name="Administrator",
                        password_hash=_hasher.hash(settings.init_admin_password),
                        is_active=True,
                        created_at=now,
                    )
                    session.add(user)
                    session.flush()
                    session.add(
                        SqlMembership(
                            workspace_id=workspace_id,
                            user_id=user.id,
                            role="admin",
                            created_at=now,
                        )
                    )
                    audit.append(
                        core,
                        session,
                        ctx=ctx,
                        action="user.create",
                        object_type="user",
                        object_id=str(user.id),
                        summary={"email": email, "role": "admin"},
                        workspace_id=workspace_id,
                    )
            if settings.init_api_key:
                _ensure_key(
                    core,
                    session,
                    ctx,
                    workspace_id=workspace_id,
                    project_id=None,
                    name="bootstrap-admin",
                    secret=settings.init_api_key,
                    kind="api",
                    public_key=None,
                )
            if settings.init_public_key and settings.init_secret_key:
                _ensure_key(
                    core,
                    session,
                    ctx,
                    workspace_id=workspace_id,
                    project_id=project_id,
                    name="langfuse-default",
                    secret=settings.init_secret_key,
                    kind="langfuse",
                    public_key=settings.init_public_key,
                )
    except IntegrityError:
        # Another process bootstrapped at the same moment; its rows are what we wanted.
        pass


def _ensure_key(
    core: Core,
    session: object,
    ctx: RequestContext,
    *,
    workspace_id: int,
    project_id: int | None,
    name: str,
    secret: str,
    kind: str,
    public_key: str | None,
) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    key_hash = hash_secret(secret)
    exists = session.execute(
        select(SqlApiKey.id).where(SqlApiKey.key_hash == key_hash)
    ).scalar_one_or_none()
    if exists is not None:
        return
    row = SqlApiKey(
        workspace_id=workspace_id,
        project_id=project_id,
        name=name,
        kind=kind,
        prefix=secret[:8],
        key_hash=key_hash,
        public_key=public_key,
        role="admin",
        created_at=core.clock(),
    )
    session.add(row)
    session.flush()
    audit.append(
        core,
        session,
        ctx=ctx,
        action="key.create",
        object_type="key",
        object_id=str(row.id),
        summary={"name": name, "kind": kind, "role": "admin"},
        workspace_id=workspace_id,
    )
