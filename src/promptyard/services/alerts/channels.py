"""Alert channels besides the signed webhooks: Slack-style incoming webhooks and email.

- **slack**: ``POST {"text": …}`` to an incoming-webhook URL (Slack, Mattermost,
  Rocket.Chat, Discord's ``/slack`` endpoint). The URL is the credential: it is stored
  encrypted with the server's key (``services/runtime/secrets.py``) and shown masked.
  Private, loopback, link-local and other non-public addresses are refused (when the URL
  is saved and again when it is sent, after DNS resolution) unless
  ``PROMPTYARD_ALERT_CHANNEL_ALLOW_PRIVATE`` is on.
- **email**: a plain-text message through the SMTP server of the ``PROMPTYARD_SMTP_*``
  settings.

Notifications go through an outbox (``alert_deliveries``), written in the transaction
that fires or resolves the alert; :func:`deliver_due` (a background job) sends them,
retrying a failure after ``30 s * 2 ** (attempt - 1)`` up to :data:`MAX_ATTEMPTS` times, and
records every attempt's error, so failures are visible (``GET /alerts/{id}/deliveries``).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from promptyard.config import Settings
from promptyard.domain.actor import Actor, RequestContext
from promptyard.domain.errors import Conflict, ValidationFailed
from promptyard.services.alerts import access
from promptyard.services.alerts.schemas import (
    AlertChannelCreate,
    AlertChannelPublic,
    AlertChannelsPublic,
    AlertChannelTestPublic,
)
from promptyard.services.context import Core
from promptyard.services.operations import audit
from promptyard.services.operations.outbound import check_url
from promptyard.services.runtime import secrets
from promptyard.store.models import SqlAlertChannel, SqlAlertDelivery

log = logging.getLogger("promptyard.alerts")

MAX_ATTEMPTS = 6
BASE_DELAY_SECONDS = 30.0
CLAIM_SECONDS = 60.0
TIMEOUT_SECONDS = 10.0


class SmtpNotConfigured(Conflict):
    code = "smtp_not_configured"


def _check_url(settings: Settings, url: str, *, resolve: bool = False) -> None:
    check_url(
        url,
        allow_private=settings.alert_channel_allow_private,
        setting="PROMPTYARD_ALERT_CHANNEL_ALLOW_PRIVATE",
        resolve=resolve,
    )


# -- channels ------------------------------------------------------------------------


def _public(row: SqlAlertChannel) -> AlertChannelPublic:
    return AlertChannelPublic(
        id=row.id,
        name=row.name,
        kind=row.kind,  # type: ignore[arg-type]
        target=row.target_hint,
        active=row.active,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _mask(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…{secrets.hint(url)[-4:]}"


def create_channel(
    core: Core, *, ctx: RequestContext, data: AlertChannelCreate
) -> AlertChannelPublic:
    settings = core.settings
    secret: str | None = None
    config: dict[str, Any] = {}
    if data.kind == "slack":
        assert data.url is not None
        _check_url(settings, data.url)
        secret = secrets.encrypt(settings, data.url)
        hint = _mask(data.url)
    else:
        if not settings.smtp_host:
            raise SmtpNotConfigured(
                "email channels need an SMTP server: set PROMPTYARD_SMTP_HOST (and "
                "PROMPTYARD_SMTP_PORT, _USER, _PASSWORD, _FROM) on the server"
            )
        config = {"to": list(data.to or [])}
        hint = ", ".join(config["to"])
    with core.store.write() as session:
        row = SqlAlertChannel(
            workspace_id=ctx.actor.workspace_id,
            name=data.name,
            kind=data.kind,
            target_hint=hint[:2000],
            config=config,
            secret=secret,
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
            action="alert_channel.create",
            object_type="alert_channel",
            object_id=str(row.id),
            summary={"name": data.name, "kind": data.kind, "target": hint},
        )
        return _public(row)


def list_channels(core: Core, *, actor: Actor) -> AlertChannelsPublic:
    with core.store.read() as session:
        rows = session.execute(
            select(SqlAlertChannel)
            .where(SqlAlertChannel.workspace_id == actor.workspace_id)
            .order_by(SqlAlertChannel.id)
        ).scalars()
        return AlertChannelsPublic(items=[_public(row) for row in rows])


def _load(session: Session, actor: Actor, channel_id: int) -> SqlAlertChannel:
    row = session.get(SqlAlertChannel, channel_id)
    if row is None or row.workspace_id != actor.workspace_id:
        raise access.not_found("channel", channel_id)
    return row


def delete_channel(core: Core, *, ctx: RequestContext, channel_id: int) -> None:
    with core.store.write() as session:
        row = _load(session, ctx.actor, channel_id)
        session.delete(row)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="alert_channel.delete",
            object_type="alert_channel",
            object_id=str(channel_id),
            summary={"name": row.name},
        )


def test_channel(
    core: Core, *, actor: Actor, channel_id: int, http: httpx.Client | None = None
) -> AlertChannelTestPublic:
    """Send a test message now (not through the outbox); whether it arrived."""
    with core.store.read() as session:
        row = _load(session, actor, channel_id)
        kind, secret, config = row.kind, row.secret, dict(row.config)
    payload: dict[str, Any] = {
        "event": "alert.test",
        "title": "Test notification from Promptyard",
        "state": "test",
        "project": None,
        "details": {},
    }
    error = send(core, kind, secret, config, payload, http=http)
    return AlertChannelTestPublic(delivered=error is None, error=error)


# -- messages ------------------------------------------------------------------------


def message_text(payload: dict[str, Any]) -> str:
    """One line for chat, the first line of an email: state, title, value, project."""
    event = str(payload.get("event", ""))
    state = {
        "alert.fired": "FIRING",
        "alert.resolved": "RESOLVED",
        "budget.threshold": "BUDGET",
        "alert.test": "TEST",
    }.get(event, event)
    parts = [f"[{state}] {payload.get('title', '')}"]
    if payload.get("value") is not None:
        threshold = payload.get("threshold")
        parts.append(
            f"value {payload['value']:g}"
            + (f" (threshold {threshold:g})" if isinstance(threshold, int | float) else "")
        )
    if payload.get("project"):
        parts.append(f"project {payload['project']}")
    return " · ".join(parts)


def _send_slack(http: httpx.Client, settings: Settings, url: str, text: str) -> str | None:
    try:
        _check_url(settings, url, resolve=True)
    except ValidationFailed as exc:
        return exc.message
    try:
        response = http.post(url, json={"text": text}, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        return f"{exc.__class__.__name__}: {exc}"[:1000]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"


def _send_email(settings: Settings, to: list[str], payload: dict[str, Any]) -> str | None:
    if not settings.smtp_host:
        return "PROMPTYARD_SMTP_HOST is not set"
    message = EmailMessage()
    message["Subject"] = f"[Promptyard] {message_text(payload)}"[:300]
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(to)
    lines = [message_text(payload), ""]
    for key in ("project", "kind", "state", "value", "threshold", "fired_at", "alert_id"):
        if payload.get(key) is not None:
            lines.append(f"{key}: {payload[key]}")
    for key, value in sorted((payload.get("details") or {}).items()):
        lines.append(f"{key}: {value}")
    message.set_content("\n".join(lines) + "\n")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return f"{exc.__class__.__name__}: {exc}"[:1000]
    return None


def send(
    core: Core,
    kind: str,
    secret: str | None,
    config: dict[str, Any],
    payload: dict[str, Any],
    *,
    http: httpx.Client | None = None,
) -> str | None:
    """Send one notification; ``None`` when it was accepted, else the error."""
    settings = core.settings
    if kind == "email":
        return _send_email(settings, list(config.get("to", [])), payload)
    if secret is None:
        return "the channel has no URL"
    try:
        url = secrets.decrypt(settings, secret, what="the URL of this alert channel")
    except Conflict as exc:
        return exc.message
    client = http or httpx.Client(follow_redirects=False)
    try:
        return _send_slack(client, settings, url, message_text(payload))
    finally:
        if http is None:
            client.close()


# -- the outbox ----------------------------------------------------------------------


def enqueue(
    core: Core, session: Session, *, alert_id: int, channel_ids: list[int], payload: dict[str, Any]
) -> int:
    """Write a pending delivery per active channel, in the caller's transaction."""
    if not channel_ids:
        return 0
    now = core.clock()
    rows = session.execute(
        select(SqlAlertChannel.id).where(
            SqlAlertChannel.id.in_(channel_ids), SqlAlertChannel.active.is_(True)
        )
    ).scalars()
    count = 0
    for channel_id in rows:
        session.add(
            SqlAlertDelivery(
                alert_id=alert_id,
                channel_id=channel_id,
                event=str(payload["event"]),
                payload=payload,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        count += 1
    return count


def _claim(core: Core, limit: int) -> list[tuple[int, str, str | None, dict[str, Any], Any]]:
    now = core.clock()
    with core.store.write() as session:
        rows = session.execute(
            select(SqlAlertDelivery, SqlAlertChannel)
            .join(SqlAlertChannel, SqlAlertChannel.id == SqlAlertDelivery.channel_id)
            .where(SqlAlertDelivery.status == "pending", SqlAlertDelivery.next_attempt_at <= now)
            .order_by(SqlAlertDelivery.next_attempt_at, SqlAlertDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=SqlAlertDelivery)
        ).all()
        claimed = []
        for delivery, channel in rows:
            delivery.next_attempt_at = now + timedelta(seconds=CLAIM_SECONDS)
            claimed.append(
                (delivery.id, channel.kind, channel.secret, dict(channel.config), delivery.payload)
            )
    return claimed


def _record(core: Core, delivery_id: int, error: str | None) -> None:
    now = core.clock()
    with core.store.write() as session:
        row = session.get(SqlAlertDelivery, delivery_id)
        if row is None:
            return
        row.attempts += 1
        row.last_error = error
        if error is None:
            row.status, row.delivered_at, row.next_attempt_at = "delivered", now, None
        elif row.attempts >= MAX_ATTEMPTS:
            row.status, row.next_attempt_at = "failed", None
            log.warning(
                "alert delivery %s failed %d times (%s): giving up", row.id, row.attempts, error
            )
        else:
            delay = BASE_DELAY_SECONDS * 2 ** (row.attempts - 1)
            row.next_attempt_at = now + timedelta(seconds=delay)
            log.warning("alert delivery %s failed (%s); retrying in %g s", row.id, error, delay)


def deliver_due(
    core: Core,
    *,
    http: httpx.Client | None = None,
    limit: int = 50,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Send every due Slack and email notification once; how many were attempted."""
    claimed = _claim(core, limit)
    attempted = 0
    for delivery_id, kind, secret, config, payload in claimed:
        if should_stop is not None and should_stop():
            with core.store.write() as session:  # hand the rest back, due at once
                for unsent in claimed[attempted:]:
                    row = session.get(SqlAlertDelivery, unsent[0])
                    if row is not None and row.status == "pending":
                        row.next_attempt_at = core.clock()
            break
        _record(core, delivery_id, send(core, kind, secret, config, payload, http=http))
        attempted += 1
    return attempted
