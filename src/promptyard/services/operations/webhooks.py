"""Outgoing webhooks: subscriptions, an outbox of deliveries, and the step that sends them.

A webhook's URL must be a public address unless ``PROMPTYARD_WEBHOOK_ALLOW_PRIVATE`` is on
(:mod:`promptyard.services.operations.outbound`: checked when it is saved and again,
resolved, before every send).

A change writes its delivery rows (``webhook_deliveries``) in its own transaction, so
an event is sent if and only if the change committed. :func:`deliver_due` claims due
deliveries, POSTs them outside any transaction and records each attempt; a failure is
retried after ``10 s * 2 ** (attempt - 1)``, and after :data:`MAX_ATTEMPTS` attempts the
delivery is ``failed``. A permanent refusal (a 4xx other than 408, 425 and 429, e.g. 405
or 410) will not change by asking again: that delivery is ``failed`` at once. The
background runner (:mod:`promptyard.workers`) calls it.

Each request carries ``X-Promptyard-Event``, ``X-Promptyard-Delivery``,
``X-Promptyard-Timestamp`` and ``X-Promptyard-Signature: sha256=<hex>``, the
HMAC-SHA256 of ``timestamp + "." + body`` under the webhook's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from pydantic import Field, field_validator
from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from promptyard.domain.actor import Actor, RequestContext
from promptyard.domain.errors import NotFound, ValidationFailed
from promptyard.domain.schemas import Input, request_examples
from promptyard.services.context import Core
from promptyard.services.operations import audit
from promptyard.services.operations.outbound import check_url
from promptyard.store.models import SqlProject, SqlPrompt, SqlWebhook, SqlWebhookDelivery

log = logging.getLogger("promptyard.webhooks")
_INSERT_DELIVERY = insert(SqlWebhookDelivery)

EVENTS = (
    "change_request.opened",
    "change_request.approved",
    "change_request.changes_requested",
    "change_request.applied",
    "change_request.closed",
    "change_request.commented",
    "audit.checkpoint",
    # alerts (services/alerts/, docs/alerting.md)
    "alert.fired",
    "alert.resolved",
    "budget.threshold",
    # prompts (services/prompts/): every write path of the registry sends them
    "prompt.created",
    "version.created",
    "label.moved",
    "prompt.deleted",
    "prompt.restored",
)
#: The event of a test delivery (:func:`send_test`); nothing subscribes to it.
PING_EVENT = "ping"
MAX_ATTEMPTS = 6
#: 4xx answers worth retrying: a timeout, "too early", rate limiting.
RETRYABLE_4XX = frozenset({408, 425, 429})
BASE_DELAY_SECONDS = 10.0
CLAIM_SECONDS = 60.0
TIMEOUT_SECONDS = 5.0


class WebhookCreate(Input):
    model_config = request_examples(
        {"url": "https://hooks.example.com/promptyard", "events": ["change_request.opened"]}
    )

    url: str = Field(min_length=1, max_length=2000)
    events: list[str] = Field(min_length=1, max_length=len(EVENTS))
    secret: str | None = Field(None, min_length=16, max_length=200)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be an http:// or https:// URL with a host")
        return value

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        unknown = [event for event in value if event not in EVENTS]
        if unknown:
            raise ValueError(f"unknown event(s) {unknown}; known: {', '.join(EVENTS)}")
        return list(dict.fromkeys(value))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _public(row: SqlWebhook, *, secret: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": row.id,
        "url": row.url,
        "events": list(row.events),
        "active": row.active,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
    }
    if secret:
        result["secret"] = row.secret
    return result


def _delivery_public(row: SqlWebhookDelivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "webhook_id": row.webhook_id,
        "event": row.event,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "created_at": row.created_at.isoformat(),
        "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None,
    }


def _check_url(core: Core, url: str, *, resolve: bool = False) -> None:
    check_url(
        url,
        allow_private=core.settings.webhook_allow_private,
        setting="PROMPTYARD_WEBHOOK_ALLOW_PRIVATE",
        resolve=resolve,
    )


def create_webhook(
    core: Core, *, ctx: RequestContext, project_id: int, data: WebhookCreate
) -> dict[str, Any]:
    """The secret is generated when absent and returned only here. A URL of a private,
    loopback or link-local address is refused unless the server allows them
    (:mod:`promptyard.services.operations.outbound`)."""
    _check_url(core, data.url)
    with core.store.write() as session:
        row = SqlWebhook(
            workspace_id=ctx.actor.workspace_id,
            project_id=project_id,
            url=data.url,
            secret=data.secret or "whsec_" + secrets.token_urlsafe(32),
            events=data.events,
            active=True,
            created_at=core.clock(),
            created_by=ctx.actor.ref,
        )
        session.add(row)
        session.flush()
        audit.append(
            core,
            session,
            ctx=ctx,
            action="webhook.create",
            object_type="webhook",
            object_id=str(row.id),
            summary={"url": data.url, "events": data.events},
        )
        return _public(row, secret=True)


def list_webhooks(core: Core, *, project_id: int) -> list[dict[str, Any]]:
    with core.store.read() as session:
        rows = session.execute(
            select(SqlWebhook).where(SqlWebhook.project_id == project_id).order_by(SqlWebhook.id)
        ).scalars()
        return [_public(row) for row in rows]


def _load(session: Session, actor: Actor, webhook_id: int) -> SqlWebhook:
    row = session.get(SqlWebhook, webhook_id)
    if (
        row is None
        or row.workspace_id != actor.workspace_id
        or (actor.project_id is not None and row.project_id != actor.project_id)
    ):
        raise NotFound(f"webhook {webhook_id} not found")
    return row


def delete_webhook(core: Core, *, ctx: RequestContext, webhook_id: int) -> None:
    with core.store.write() as session:
        row = _load(session, ctx.actor, webhook_id)
        session.delete(row)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="webhook.delete",
            object_type="webhook",
            object_id=str(webhook_id),
            summary={"url": row.url},
        )


def list_deliveries(
    core: Core, *, actor: Actor, webhook_id: int, limit: int = 50
) -> list[dict[str, Any]]:
    with core.store.read() as session:
        _load(session, actor, webhook_id)
        rows = session.execute(
            select(SqlWebhookDelivery)
            .where(SqlWebhookDelivery.webhook_id == webhook_id)
            .order_by(SqlWebhookDelivery.id.desc())
            .limit(limit)
        ).scalars()
        return [_delivery_public(row) for row in rows]


def enqueue(
    core: Core, session: Session, *, project_id: int, event: str, payload: dict[str, Any]
) -> int:
    """Write a pending delivery for every subscribed webhook, in the caller's transaction."""
    workspace_id = session.execute(
        select(SqlProject.workspace_id).where(SqlProject.id == project_id)
    ).scalar_one()
    hooks = session.execute(
        select(SqlWebhook).where(
            SqlWebhook.workspace_id == workspace_id,
            SqlWebhook.active.is_(True),
            (SqlWebhook.project_id == project_id) | SqlWebhook.project_id.is_(None),
        )
    ).scalars()
    subscribed = [hook.id for hook in hooks if event in hook.events]
    return _write_pending(core, session, subscribed, event, payload)


def broadcast(core: Core, session: Session, *, event: str, payload: dict[str, Any]) -> int:
    """Write a pending delivery for every active webhook subscribed to ``event``, whatever
    its workspace or project: for server-wide events such as ``audit.checkpoint``."""
    hooks = session.execute(select(SqlWebhook).where(SqlWebhook.active.is_(True))).scalars()
    subscribed = [hook.id for hook in hooks if event in hook.events]
    return _write_pending(core, session, subscribed, event, payload)


def _write_pending(
    core: Core, session: Session, hook_ids: list[int], event: str, payload: dict[str, Any]
) -> int:
    """Insert one pending delivery of ``event`` per webhook, due now, in the caller's
    transaction; how many."""
    if not hook_ids:
        return 0
    now = core.clock()
    rows = [
        {
            "webhook_id": hook_id,
            "event": event,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for hook_id in hook_ids
    ]
    session.connection().execute(_INSERT_DELIVERY, rows)
    return len(rows)


# Built once: a statement with bound parameters keeps its compiled form and cache key,
# so the lookup every prompt write makes costs one indexed read and nothing more.
_PROMPT_EVENT_SUBSCRIBERS = (
    select(SqlWebhook.id, SqlWebhook.events, SqlProject.slug)
    .join(SqlProject, SqlProject.workspace_id == SqlWebhook.workspace_id)
    .where(
        SqlProject.id == bindparam("project_id"),
        SqlWebhook.active.is_(True),
        or_(SqlWebhook.project_id == bindparam("project_id"), SqlWebhook.project_id.is_(None)),
    )
)


def emit_prompt_event(
    core: Core,
    session: Session,
    *,
    ctx: RequestContext,
    prompt: SqlPrompt,
    event: str,
    data: dict[str, Any],
) -> int:
    """Write a pending delivery of a prompt event (``prompt.created``, ``version.created``,
    ``label.moved``, ``prompt.deleted``, ``prompt.restored``) for every subscribed webhook
    of the prompt's project or workspace, in the caller's transaction.

    One query finds the subscribers and the project's slug together, so a write in a
    project without webhooks costs one indexed read. The payload is
    ``{"project", "prompt": {"id", "name"}, "actor", **data}``.
    """
    rows = session.connection().execute(
        _PROMPT_EVENT_SUBSCRIBERS, {"project_id": prompt.project_id}
    )
    subscribed = [(hook_id, slug) for hook_id, events, slug in rows if event in events]
    if not subscribed:
        return 0
    payload = {
        "project": subscribed[0][1],
        "prompt": {"id": prompt.id, "name": prompt.name},
        "actor": ctx.actor.ref,
        **data,
    }
    return _write_pending(core, session, [hook_id for hook_id, _ in subscribed], event, payload)


def send_test(core: Core, *, ctx: RequestContext, webhook_id: int) -> dict[str, Any]:
    """Send one signed ``ping`` delivery to the webhook now and answer its outcome.

    The delivery is an ordinary outbox row, leased to this call (the background worker
    leaves it alone), sent by the same code as every delivery (:func:`_send`) and
    recorded like one, except that a failed ping is ``failed`` at once: it is a check,
    and retrying it later would send a test nobody is waiting for.
    """
    now = core.clock()
    with core.store.write() as session:
        hook = _load(session, ctx.actor, webhook_id)
        row = SqlWebhookDelivery(
            webhook_id=hook.id,
            event=PING_EVENT,
            payload={"webhook_id": hook.id, "actor": ctx.actor.ref, "message": "test delivery"},
            status="pending",
            attempts=0,
            next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS),
            created_at=now,
        )
        session.add(row)
        session.flush()
        delivery_id, url, secret, payload = row.id, hook.url, hook.secret, row.payload
        audit.append(
            core,
            session,
            ctx=ctx,
            action="webhook.test",
            object_type="webhook",
            object_id=str(hook.id),
            summary={"url": hook.url, "delivery": delivery_id},
        )
    with httpx.Client(follow_redirects=False) as client:
        status, error = _send(client, core, delivery_id, url, secret, PING_EVENT, payload)
    _record(core, delivery_id, status, error, retry=False)
    with core.store.read() as session:
        recorded = session.get(SqlWebhookDelivery, delivery_id)
        if recorded is None:  # the webhook was deleted meanwhile
            raise NotFound(f"webhook {webhook_id} not found")
        return _delivery_public(recorded)


def _claim(core: Core, limit: int) -> list[tuple[int, str, str, str, dict[str, Any]]]:
    """Due deliveries, leased for :data:`CLAIM_SECONDS` so no other worker takes them."""
    now = core.clock()
    with core.store.write() as session:
        rows = session.execute(
            select(SqlWebhookDelivery, SqlWebhook)
            .join(SqlWebhook, SqlWebhook.id == SqlWebhookDelivery.webhook_id)
            .where(
                SqlWebhookDelivery.status == "pending",
                SqlWebhookDelivery.next_attempt_at <= now,
            )
            .order_by(SqlWebhookDelivery.next_attempt_at, SqlWebhookDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=SqlWebhookDelivery)
        ).all()
        claimed = []
        for delivery, hook in rows:
            delivery.next_attempt_at = now + timedelta(seconds=CLAIM_SECONDS)
            claimed.append((delivery.id, hook.url, hook.secret, delivery.event, delivery.payload))
    return claimed


def _send(
    http: httpx.Client, core: Core, delivery_id: int, url: str, secret: str, event: str, data: Any
) -> tuple[int | None, str | None]:
    now = core.clock()
    body = orjson.dumps(
        {"id": delivery_id, "event": event, "created_at": now.isoformat(), "data": data}
    )
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "promptyard-webhooks",
        "X-Promptyard-Event": event,
        "X-Promptyard-Delivery": str(delivery_id),
        "X-Promptyard-Timestamp": timestamp,
        "X-Promptyard-Signature": sign(secret, timestamp, body),
    }
    try:
        _check_url(core, url, resolve=True)  # where the name points now, not when saved
    except ValidationFailed as exc:
        return None, exc.message[:1000]
    try:
        response = http.post(url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        return None, f"{exc.__class__.__name__}: {exc}"[:1000]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


def deliver_due(
    core: Core,
    *,
    http: httpx.Client | None = None,
    limit: int = 50,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Send every due delivery once (at most ``limit``); returns how many were attempted.

    ``should_stop()`` is asked before each delivery: once true (the server is stopping),
    the deliveries not sent yet are handed back, due again at once, and the call returns;
    a delivery under way is never cut short.
    """
    claimed = _claim(core, limit)
    if not claimed:
        return 0
    client = http or httpx.Client(follow_redirects=False)
    attempted = 0
    try:
        for delivery_id, url, secret, event, payload in claimed:
            if should_stop is not None and should_stop():
                _release(core, [unsent[0] for unsent in claimed[attempted:]])
                break
            status, error = _send(client, core, delivery_id, url, secret, event, payload)
            _record(core, delivery_id, status, error)
            attempted += 1
    finally:
        if http is None:
            client.close()
    return attempted


def _release(core: Core, delivery_ids: list[int]) -> None:
    """Hand claimed deliveries back before their lease ends: due again at once."""
    with core.store.write() as session:
        session.execute(
            update(SqlWebhookDelivery)
            .where(
                SqlWebhookDelivery.id.in_(delivery_ids),
                SqlWebhookDelivery.status == "pending",
            )
            .values(next_attempt_at=core.clock())
        )


def is_permanent(status: int | None) -> bool:
    """Whether an endpoint's answer says retrying cannot help (a 4xx but 408, 425, 429)."""
    return status is not None and 400 <= status < 500 and status not in RETRYABLE_4XX


def _record(
    core: Core, delivery_id: int, status: int | None, error: str | None, *, retry: bool = True
) -> None:
    now = core.clock()
    with core.store.write() as session:
        row = session.get(SqlWebhookDelivery, delivery_id)
        if row is None:  # the webhook was deleted meanwhile
            return
        row.attempts += 1
        row.last_status_code = status
        row.last_error = error
        if error is None:
            row.status = "delivered"
            row.delivered_at = now
            row.next_attempt_at = None
            log.info("webhook delivery %s: %s delivered (HTTP %s)", row.id, row.event, status)
        elif is_permanent(status):
            row.status = "failed"
            row.next_attempt_at = None
            row.last_error = f"{error} (permanent: not retried)"
            log.warning(
                "webhook delivery %s: the endpoint refused it (HTTP %s); not retrying",
                row.id,
                status,
            )
        elif row.attempts >= MAX_ATTEMPTS or not retry:
            row.status = "failed"
            row.next_attempt_at = None
            log.warning(
                "webhook delivery %s: attempt %d failed (%s); giving up",
                row.id,
                row.attempts,
                error,
            )
        else:
            delay = BASE_DELAY_SECONDS * 2 ** (row.attempts - 1)
            row.next_attempt_at = now + timedelta(seconds=delay)
            log.warning(
                "webhook delivery %s: attempt %d failed (%s); retrying in %g s",
                row.id,
                row.attempts,
                error,
                delay,
            )
