"""Identity: sign-in (with throttling), API keys, console sessions, and the bootstrap.

API keys are random 256-bit tokens; only their SHA-256 is stored (a fast hash is right
for high-entropy secrets), and the plain key is shown once. Passwords are argon2 hashes.
Lookups go by hash, so no secret is ever compared character by character.

Failed sign-ins are counted per email and per client address (table ``login_throttle``).
After :data:`FREE_FAILURES` failures within :data:`THROTTLE_WINDOW` an address or email
must wait ``2**(n - FREE_FAILURES)`` seconds before the next try, and is locked for
:data:`MAX_LOCK` after :data:`LOCK_AFTER` failures. The check runs before the password is
verified, so a locked account gets no password checks at all. A success clears the
email's counter (never the address's: a valid account must not reset an attacker's count).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from promptyard.domain.actor import SYSTEM, Actor, RequestContext
from promptyard.domain.errors import NotFound, TooManyRequests, Unauthenticated
from promptyard.services.context import Core
from promptyard.services.identity.projects import ensure_default_workspace
from promptyard.services.operations import audit
from promptyard.store.models import (
    SqlApiKey,
    SqlLoginThrottle,
    SqlMembership,
    SqlSession,
    SqlUser,
    SqlWorkspace,
)

KEY_PREFIX = "py_"
_hasher = PasswordHasher()
# A real hash to spend the same time on unknown emails as on wrong passwords.
_DUMMY_HASH = _hasher.hash("promptyard-timing-equalizer")
WRONG_CREDENTIALS = "wrong email or password"

FREE_FAILURES = 5
LOCK_AFTER = 10
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_LOCK = timedelta(minutes=15)
#: A client address shared by many people (an office NAT) gets more room than one email.
IP_FREE_FAILURES = 20


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


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
        instance_admin=row.is_instance_admin,
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
        if row.kind == FEEDBACK_KEY_KIND:
            raise Unauthenticated(
                "this is a feedback key: it can only post end-user feedback "
                f"({FEEDBACK_ROUTE}), nothing else"
            )
        row.last_used_at = now
        actor = _key_actor(row)
        expires_at = row.expires_at
    _keep(core, key_hash, actor, expires_at, now)
    return actor


def _keep(
    core: Core, cache_key: object, answer: object, expires_at: datetime | None, now: datetime
) -> None:
    """Cache what a key authenticates to. A cached key is served without a database
    look-up for up to 30 s: never cache one that could expire within that time, so
    expiry takes effect on the second."""
    if expires_at is None or expires_at - now > timedelta(seconds=60):
        core.actors.put(cache_key, answer)


#: A write-only key for apps' web pages: it posts end-user feedback and nothing else.
FEEDBACK_KEY_KIND = "feedback"
FEEDBACK_KEY_PREFIX = "pyfb_"
FEEDBACK_ROUTE = "POST /api/v1/analytics/feedback/public"


def authenticate_feedback_key(core: Core, token: str) -> tuple[int, str]:
    """``(project id, key reference)`` of a feedback key, or :class:`Unauthenticated`.
    Cached like other keys (a revocation drops the cache)."""
    key_hash = hash_secret(token)
    cache_key = ("feedback_key", key_hash)
    cached = core.actors.get(cache_key)
    if cached is not None:
        found: tuple[int, str] = cached
        return found
    now = core.clock()
    with core.store.read() as session:
        row = session.execute(
            select(SqlApiKey).where(SqlApiKey.key_hash == key_hash)
        ).scalar_one_or_none()
        if row is None or row.kind != FEEDBACK_KEY_KIND or row.revoked_at is not None:
            raise Unauthenticated("invalid feedback key")
        if row.expires_at is not None and row.expires_at <= now:
            raise Unauthenticated("this feedback key has expired")
        if row.project_id is None:  # created for a project, always
            raise Unauthenticated("invalid feedback key")
        found = (row.project_id, f"key:{row.name}")
        expires_at = row.expires_at
    _keep(core, cache_key, found, expires_at, now)
    return found


def user_actor(user: SqlUser, membership: SqlMembership) -> Actor:
    return Actor(
        type="user",
        id=user.id,
        name=user.email,
        role=membership.role,
        workspace_id=membership.workspace_id,
        instance_admin=user.is_instance_admin,
    )


def _throttle_keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    keys = [(f"email:{email}", FREE_FAILURES)]
    if ip:
        keys.append((f"ip:{ip}", IP_FREE_FAILURES))
    return keys


def check_throttle(core: Core, email: str, ip: str | None) -> None:
    """:class:`TooManyRequests` (details ``retry_after`` seconds) while a key is locked."""
    now = core.clock()
    with core.store.read() as session:
        rows = session.execute(
            select(SqlLoginThrottle).where(
                SqlLoginThrottle.key.in_([key for key, _ in _throttle_keys(email, ip)])
            )
        ).scalars()
        waits = [
            (row.locked_until - now).total_seconds()
            for row in rows
            if row.locked_until is not None and row.locked_until > now
        ]
    if waits:
        retry_after = max(1, math.ceil(max(waits)))
        raise TooManyRequests(
            f"too many failed sign-ins; try again in {retry_after} s",
            details={"retry_after": retry_after},
        )


def _lock_for(failures: int, free: int) -> timedelta | None:
    if failures < free:
        return None
    if failures >= free + (LOCK_AFTER - FREE_FAILURES):
        return MAX_LOCK
    return min(timedelta(seconds=2 ** (failures - free)), MAX_LOCK)


def _record_failure(session: Session, key: str, free: int, now: datetime) -> None:
    row = session.execute(
        select(SqlLoginThrottle).where(SqlLoginThrottle.key == key).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = SqlLoginThrottle(key=key, failures=0, first_failure_at=now, last_failure_at=now)
        session.add(row)
    elif now - row.first_failure_at > THROTTLE_WINDOW and (
        row.locked_until is None or row.locked_until <= now
    ):
        row.failures = 0
        row.first_failure_at = now
    row.failures += 1
    row.last_failure_at = now
    lock = _lock_for(row.failures, free)
    row.locked_until = now + lock if lock is not None else None


def record_sign_in_failure(
    core: Core, *, email: str, ctx: RequestContext, workspace_id: int | None, reason: str
) -> None:
    """Count the failure against the email and the address, and audit it (one transaction)."""
    now = core.clock()
    for _attempt in range(3):
        try:
            with core.store.write() as session:
                for key, free in _throttle_keys(email, ctx.ip):
                    _record_failure(session, key, free, now)
                audit.append(
                    core,
                    session,
                    ctx=ctx,
                    action="auth.sign_in_failed",
                    object_type="user",
                    object_id=email[:200],
                    summary={"email": email, "reason": reason},
                    workspace_id=workspace_id,
                )
            return
        except IntegrityError:
            continue  # a concurrent first failure created the row: count again


def clear_throttle(core: Core, email: str) -> None:
    with core.store.write() as session:
        session.execute(delete(SqlLoginThrottle).where(SqlLoginThrottle.key == f"email:{email}"))


def authenticate_password(
    core: Core,
    email: str,
    password: str,
    *,
    ip: str | None = None,
    request_id: str | None = None,
    workspace: str | None = None,
) -> Actor:
    """The user's actor (in ``workspace`` when given, else their first workspace).

    Raises :class:`TooManyRequests` before any password check while throttled, and
    :class:`Unauthenticated` with one generic message for an unknown email or a wrong
    password.
    """
    email = email.strip().lower()
    check_throttle(core, email, ip)
    anonymous = Actor(type="system", id=0, name=f"anonymous:{email}", role="viewer", workspace_id=0)
    ctx = RequestContext(actor=anonymous, request_id=request_id, ip=ip)
    with core.store.read() as session:
        user = session.execute(select(SqlUser).where(SqlUser.email == email)).scalar_one_or_none()
        memberships = (
            session.execute(
                select(SqlMembership, SqlWorkspace.slug)
                .join(SqlWorkspace, SqlWorkspace.id == SqlMembership.workspace_id)
                .where(SqlMembership.user_id == user.id)
                .order_by(SqlMembership.id)
            ).all()
            if user is not None
            else []
        )
    if user is None or not memberships:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password + "x")
        record_sign_in_failure(
            core, email=email, ctx=ctx, workspace_id=None, reason="unknown email"
        )
        raise Unauthenticated(WRONG_CREDENTIALS)
    first = memberships[0][0]
    if not password_matches(user.password_hash, password):
        record_sign_in_failure(
            core, email=email, ctx=ctx, workspace_id=first.workspace_id, reason="wrong password"
        )
        raise Unauthenticated(WRONG_CREDENTIALS)
    clear_throttle(core, email)
    if not user.is_active:
        raise Unauthenticated("this account is disabled")
    membership = first
    if workspace is not None:
        chosen = [m for m, slug in memberships if slug == workspace]
        if not chosen:
            raise NotFound(f"workspace {workspace!r} not found")
        membership = chosen[0]
    return user_actor(user, membership)


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    actor: Actor
    expires_at: datetime


def create_session(
    core: Core, actor: Actor, *, ip: str | None = None, request_id: str | None = None
) -> NewSession:
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
                workspace_id=actor.workspace_id,
            )
        )
        if actor.type == "user":
            user = session.get(SqlUser, actor.id)
            if user is not None:
                user.last_login_at = now
        audit.append(
            core,
            session,
            ctx=RequestContext(actor=actor, request_id=request_id, ip=ip),
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
            query = (
                select(SqlUser, SqlMembership)
                .join(SqlMembership, SqlMembership.user_id == SqlUser.id)
                .where(SqlUser.id == row.user_id)
            )
            # The session's workspace first; else (it was left) the first membership.
            preferred = SqlMembership.workspace_id == (row.workspace_id or 0)
            found = session.execute(
                query.order_by(preferred.desc(), SqlMembership.id).limit(1)
            ).first()
            if found is None or not found[0].is_active:
                raise Unauthenticated("this account is disabled")
            return user_actor(found[0], found[1]), row.csrf_token
        key = session.get(SqlApiKey, row.api_key_id)
        if key is None or key.revoked_at is not None:
            raise Unauthenticated("the API key of this session was revoked")
        if key.expires_at is not None and key.expires_at <= now:
            raise Unauthenticated("this API key has expired")
        return _key_actor(key), row.csrf_token


def switch_workspace(core: Core, token: str, actor: Actor, workspace: str) -> Actor:
    """Point the console session ``token`` at ``workspace``, where its user is a member."""
    if actor.type != "user":
        raise NotFound(f"workspace {workspace!r} not found")
    with core.store.write() as session:
        found = session.execute(
            select(SqlUser, SqlMembership)
            .join(SqlMembership, SqlMembership.user_id == SqlUser.id)
            .join(SqlWorkspace, SqlWorkspace.id == SqlMembership.workspace_id)
            .where(SqlUser.id == actor.id, SqlWorkspace.slug == workspace)
        ).first()
        row = session.execute(
            select(SqlSession).where(SqlSession.token_hash == hash_secret(token))
        ).scalar_one_or_none()
        if found is None or row is None or row.user_id != actor.id:
            raise NotFound(f"workspace {workspace!r} not found")
        row.workspace_id = found[1].workspace_id
        return user_actor(found[0], found[1])


def end_user_sessions(session: Session, user_id: int, *, keep_token: str | None = None) -> None:
    """Delete every console session of a user (but ``keep_token``'s), inside a write."""
    query = delete(SqlSession).where(SqlSession.user_id == user_id)
    if keep_token is not None:
        query = query.where(SqlSession.token_hash != hash_secret(keep_token))
    session.execute(query)


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
                    user = insert_user(
                        core,
                        session,
                        ctx=ctx,
                        email=email,
                        name="Administrator",
                        password_hash=_hasher.hash(settings.init_admin_password),
                        instance_admin=True,
                        audit_workspace_id=workspace_id,
                    )
                    session.add(
                        SqlMembership(
                            workspace_id=workspace_id,
                            user_id=user.id,
                            role="admin",
                            created_at=now,
                        )
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
                    instance_admin=True,  # the operator's own key, from the environment
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
    session: Session,
    ctx: RequestContext,
    *,
    workspace_id: int,
    project_id: int | None,
    name: str,
    secret: str,
    kind: str,
    public_key: str | None,
    instance_admin: bool = False,
) -> None:
    key_hash = hash_secret(secret)
    exists = session.execute(
        select(SqlApiKey.id).where(SqlApiKey.key_hash == key_hash)
    ).scalar_one_or_none()
    if exists is not None:
        return
    row = insert_key(
        core,
        session,
        ctx=ctx,
        workspace_id=workspace_id,
        project_id=project_id,
        user_id=None,
        name=name,
        kind=kind,
        secret=secret,
        public_key=public_key,
        role="admin",
        prefix_length=8,
    )
    row.is_instance_admin = instance_admin


def insert_user(
    core: Core,
    session: Session,
    *,
    ctx: RequestContext,
    email: str,
    name: str,
    password_hash: str,
    instance_admin: bool = False,
    via: str | None = None,
    audit_workspace_id: int | None = None,
) -> SqlUser:
    """Store a new account and audit its creation, inside the caller's transaction.

    The one way an account comes to exist: the bootstrap, an instance administrator
    (``POST /users``) and an accepted invitation all call this.
    """
    user = SqlUser(
        email=email,
        name=name,
        password_hash=password_hash,
        is_active=True,
        is_instance_admin=instance_admin,
        created_at=core.clock(),
    )
    session.add(user)
    session.flush()
    summary: dict[str, object] = {"email": email, "name": name}
    if instance_admin:
        summary["instance_admin"] = True
    if via is not None:
        summary["via"] = via
    audit.append(
        core,
        session,
        ctx=ctx,
        action="user.create",
        object_type="user",
        object_id=str(user.id),
        summary=summary,
        workspace_id=audit_workspace_id,
    )
    return user


def insert_key(
    core: Core,
    session: Session,
    *,
    ctx: RequestContext,
    workspace_id: int,
    project_id: int | None,
    user_id: int | None,
    name: str,
    kind: str,
    secret: str,
    public_key: str | None,
    role: str,
    expires_at: datetime | None = None,
    project_slug: str | None = None,
    prefix_length: int = 10,
) -> SqlApiKey:
    """Store a key (its hash only) and audit its creation, inside the caller's transaction."""
    row = SqlApiKey(
        workspace_id=workspace_id,
        project_id=project_id,
        user_id=user_id,
        name=name,
        kind=kind,
        prefix=secret[:prefix_length],
        key_hash=hash_secret(secret),
        public_key=public_key,
        role=role,
        created_at=core.clock(),
        expires_at=expires_at,
        created_by=ctx.actor.ref,
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
        summary={
            "name": name,
            "kind": kind,
            "role": role,
            "project": project_slug,
            "service_account": user_id is None,
            "prefix": row.prefix,
        },
        workspace_id=workspace_id,
    )
    return row


# -- Langfuse-style key pairs (HTTP Basic: public key as user, secret key as password) --

WRONG_KEY_PAIR = "invalid key pair: check the public key and the secret key"


def _pair_cache_key(key_hash: str) -> tuple[str, str]:
    return ("key_pair", key_hash)


def cached_key_pair(core: Core, public_key: str, secret: str) -> Actor | None:
    """:func:`authenticate_key_pair` from the cache alone (no I/O), or None."""
    key_hash = hash_secret(secret)
    actor = core.actors.get(key_hash)
    known = core.actors.get(_pair_cache_key(key_hash))
    if (
        isinstance(actor, Actor)
        and isinstance(known, str)
        and hmac.compare_digest(known.encode(), public_key.encode())
    ):
        return actor
    return None


def authenticate_key_pair(core: Core, public_key: str, secret: str) -> Actor:
    """The actor of a key pair (the secret key's, if the public key is its pair), or
    :class:`Unauthenticated`. Revocation, expiry and last use are the secret key's."""
    key_hash = hash_secret(secret)
    with core.store.read() as session:
        stored = session.execute(
            select(SqlApiKey.public_key).where(SqlApiKey.key_hash == key_hash)
        ).scalar_one_or_none()
    if stored is None or not hmac.compare_digest(stored.encode(), public_key.encode()):
        raise Unauthenticated(WRONG_KEY_PAIR)
    try:
        actor = authenticate_api_key(core, secret)
    except Unauthenticated as exc:
        raise Unauthenticated(exc.message.replace("API key", "key pair")) from None
    core.actors.put(_pair_cache_key(key_hash), public_key)
    return actor
