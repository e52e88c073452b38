"""Delivery: signed webhooks to a real local HTTP server, the Slack-style payload, email
through a real local SMTP server (aiosmtpd), retries and visible failures, URL policy."""

from __future__ import annotations

import json

import pytest

from promptyard.services.alerts import channels, incidents
from promptyard.services.alerts.channels import SmtpNotConfigured
from promptyard.services.alerts.schemas import AlertChannelCreate
from promptyard.services.context import Core
from promptyard.services.operations import webhooks
from promptyard.store.models import SqlAlertChannel
from tests._factories import admin_context, project_id
from tests.alerts._receivers import http_receiver, smtp_server


def _fire(core: Core, channel_ids: list[int]) -> int:
    """An incident fired the way the evaluator fires one, and its notification queued."""
    pid = project_id(core)
    with core.store.write() as session:
        alert = incidents.open_incident(
            core,
            session,
            workspace_id=admin_context(core).actor.workspace_id,
            project_id=pid,
            dedup_key="rule:test",
            kind="cost",
            title="r: cost 12.5 USD > 10 USD over 60 min",
            value=12.5,
            threshold=10.0,
            details={"calls": 3},
        )
        incidents.notify(
            core, session, alert, "alert.fired", channel_ids=channel_ids, project_ids=[pid]
        )
        return alert.id


def _channel(core: Core, **fields: object) -> int:
    data = AlertChannelCreate.model_validate({"name": "c", **fields})
    return channels.create_channel(core, ctx=admin_context(core), data=data).id


def test_webhook_delivery_is_signed_and_received(core: Core) -> None:
    with http_receiver() as receiver:
        created = webhooks.create_webhook(
            core,
            ctx=admin_context(core),
            project_id=project_id(core),
            data=webhooks.WebhookCreate.model_validate(
                {"url": receiver.url + "/hook", "events": ["alert.fired"]}
            ),
        )
        alert_id = _fire(core, [])
        assert webhooks.deliver_due(core) == 1
    (request,) = receiver.requests
    assert request.headers["X-Promptyard-Event"] == "alert.fired"
    expected = webhooks.sign(
        created["secret"], request.headers["X-Promptyard-Timestamp"], request.body
    )
    assert request.headers["X-Promptyard-Signature"] == expected
    body = json.loads(request.body)
    assert body["event"] == "alert.fired"
    assert body["data"]["alert_id"] == alert_id and body["data"]["project"] == "default"
    assert body["data"]["value"] == 12.5 and body["data"]["state"] == "firing"


def test_slack_payload_and_the_secret_url(core: Core) -> None:
    core.settings.alert_channel_allow_private = True  # the receiver is on loopback
    with http_receiver() as receiver:
        url = receiver.url + "/services/T000/B000/XXXXsecretXXXX"
        channel_id = _channel(core, kind="slack", url=url)
        with core.store.read() as session:
            stored = session.get(SqlAlertChannel, channel_id)
            assert stored is not None and stored.secret is not None
            assert "secret" not in stored.secret and "secret" not in stored.target_hint
        listed = channels.list_channels(core, actor=admin_context(core).actor).items
        assert "XXXXsecret" not in listed[0].target
        alert_id = _fire(core, [channel_id])
        assert channels.deliver_due(core) == 1
    (request,) = receiver.requests
    assert request.path == "/services/T000/B000/XXXXsecretXXXX"
    payload = json.loads(request.body)
    assert set(payload) == {"text"}
    assert payload["text"].startswith("[FIRING] r: cost 12.5 USD > 10 USD")
    assert "project default" in payload["text"]
    (delivery,) = incidents.list_deliveries(
        core, actor=admin_context(core).actor, alert_id=alert_id
    ).items
    assert delivery.status == "delivered" and delivery.attempts == 1


def test_failures_are_retried_and_visible(core: Core) -> None:
    core.settings.alert_channel_allow_private = True
    with http_receiver() as receiver:
        receiver.status = 500
        channel_id = _channel(core, kind="slack", url=receiver.url + "/x")
        alert_id = _fire(core, [channel_id])
        assert channels.deliver_due(core) == 1
        (delivery,) = incidents.list_deliveries(
            core, actor=admin_context(core).actor, alert_id=alert_id
        ).items
        assert delivery.status == "pending" and delivery.attempts == 1
        assert delivery.last_error is not None and "HTTP 500" in delivery.last_error
        assert channels.deliver_due(core) == 0  # not due before its back-off
        receiver.status = 200
        core.clock = lambda: delivery.next_attempt_at  # type: ignore[assignment,return-value]
        assert channels.deliver_due(core) == 1
    (after,) = incidents.list_deliveries(
        core, actor=admin_context(core).actor, alert_id=alert_id
    ).items
    assert after.status == "delivered" and after.attempts == 2 and len(receiver.requests) == 2


def test_email_received_by_a_real_smtp_server(core: Core) -> None:
    with pytest.raises(SmtpNotConfigured):
        _channel(core, kind="email", to=["ops@example.com"])
    with smtp_server() as (port, inbox):
        core.settings.smtp_host = "127.0.0.1"
        core.settings.smtp_port = port
        core.settings.smtp_starttls = False
        core.settings.smtp_from = "alerts@promptyard.test"
        channel_id = _channel(core, kind="email", to=["ops@example.com", "lead@example.com"])
        _fire(core, [channel_id])
        assert channels.deliver_due(core) == 1
    (sender, recipients, message) = inbox.messages[0]
    assert sender == "alerts@promptyard.test"
    assert recipients == ["ops@example.com", "lead@example.com"]
    assert message["Subject"].startswith("[Promptyard] [FIRING] r: cost 12.5 USD")
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "value: 12.5" in body and "project: default" in body


def test_channel_test_message(core: Core) -> None:
    core.settings.alert_channel_allow_private = True
    with http_receiver() as receiver:
        channel_id = _channel(core, kind="slack", url=receiver.url + "/t")
        result = channels.test_channel(core, actor=admin_context(core).actor, channel_id=channel_id)
    assert result.delivered and result.error is None
    assert json.loads(receiver.requests[0].body)["text"].startswith("[TEST]")
