"""Webhooks: subscriptions, signed deliveries to a real local server, retries with backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from promptyard.domain.actor import Actor, RequestContext
from promptyard.server.app import create_app
from promptyard.services.context import Core
from promptyard.services.governance import change_requests, policy
from promptyard.services.operations import webhooks
from promptyard.store.models import SqlWorkspace
from promptyard.workers import WEBHOOK_DELIVERIES
from tests.conftest import API_KEY
from tests.governance._helpers import API, audit_actions, create_prompt


class Receiver:
    """A loopback HTTP server recording every POST; answers ``statuses`` in turn, then 200."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _ctx(core: Core, name: str = "alice", role: str = "admin") -> RequestContext:
    with core.store.read() as session:
        workspace_id = session.execute(
            select(SqlWorkspace.id).where(SqlWorkspace.slug == "default")
        ).scalar_one()
    return RequestContext(
        actor=Actor(type="user", id=1, name=name, role=role, workspace_id=workspace_id)
    )


def _prepare(core: Core, url: str, events: list[str]) -> tuple[RequestContext, int, str]:
    """A prompt and a webhook, made through the services (no app: no background worker)."""
    from promptyard.domain.schemas import PromptCreate
    from promptyard.services.prompts import registry

    ctx = _ctx(core)
    project_id = policy.project_for(core, ctx.actor, "default")
    registry.create_prompt(
        core, ctx=ctx, project_id=project_id, data=PromptCreate(name="greet", content="Hi")
    )
    hook = webhooks.create_webhook(
        core,
        ctx=ctx,
        project_id=project_id,
        data=webhooks.WebhookCreate(url=url, events=events),
    )
    return ctx, project_id, str(hook["secret"])


def _open(core: Core, ctx: RequestContext, project_id: int) -> dict[str, Any]:
    return change_requests.open_request(
        core,
        ctx=ctx,
        project_id=project_id,
        data=change_requests.ChangeRequestCreate(prompt="greet", version=1, label="production"),
    )


def test_signed_delivery_reaches_a_real_server(core: Core, receiver: Receiver) -> None:
    clock = Clock()
    core.clock = clock
    ctx, project_id, secret = _prepare(
        core, receiver.url, ["change_request.opened", "change_request.approved"]
    )
    request = _open(core, ctx, project_id)
    change_requests.comment(core, ctx=ctx, request_id=request["id"], body="not subscribed")
    assert webhooks.deliver_due(core) == 1
    assert webhooks.deliver_due(core) == 0
    [hit] = receiver.received
    headers = {key.lower(): value for key, value in hit["headers"].items()}
    assert headers["x-promptyard-event"] == "change_request.opened"
    timestamp = headers["x-promptyard-timestamp"]
    assert timestamp == str(int(clock.now.timestamp()))
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + hit["body"], hashlib.sha256)
    assert headers["x-promptyard-signature"] == "sha256=" + expected.hexdigest()
    payload = json.loads(hit["body"])
    assert payload["event"] == "change_request.opened"
    assert payload["id"] == int(headers["x-promptyard-delivery"])
    assert payload["data"]["id"] == request["id"]
    assert payload["data"]["prompt"] == "greet" and payload["data"]["actor"] == "alice"

    [delivery] = webhooks.list_deliveries(core, actor=ctx.actor, webhook_id=1)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert delivery["last_status_code"] == 200


def test_failed_delivery_retries_with_backoff_then_succeeds(core: Core, receiver: Receiver) -> None:
    clock = Clock()
    core.clock = clock
    ctx, project_id, _secret = _prepare(core, receiver.url, ["change_request.opened"])
    _open(core, ctx, project_id)
    receiver.statuses = [500, 503]
    start = clock.now

    assert webhooks.deliver_due(core) == 1
    [delivery] = webhooks.list_deliveries(core, actor=ctx.actor, webhook_id=1)
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    assert delivery["last_status_code"] == 500 and delivery["last_error"] == "HTTP 500"
    assert delivery["next_attempt_at"] == (start + timedelta(seconds=10)).isoformat()

    clock.now = start + timedelta(seconds=9)
    assert webhooks.deliver_due(core) == 0  # not due yet
    clock.now = start + timedelta(seconds=10)
    assert webhooks.deliver_due(core) == 1
    [delivery] = webhooks.list_deliveries(core, actor=ctx.actor, webhook_id=1)
    assert delivery["attempts"] == 2 and delivery["last_status_code"] == 503
    assert delivery["next_attempt_at"] == (clock.now + timedelta(seconds=20)).isoformat()

    clock.now += timedelta(seconds=20)
    assert webhooks.deliver_due(core) == 1
    [delivery] = webhooks.list_deliveries(core, actor=ctx.actor, webhook_id=1)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert len(receiver.received) == 3
    ids = {hit["headers"]["X-Promptyard-Delivery"] for hit in receiver.received}
    assert len(ids) == 1  # the same delivery, retried


@pytest.mark.parametrize("status", [405, 410, 400])
def test_a_permanent_refusal_fails_at_once(core: Core, receiver: Receiver, status: int) -> None:
    clock = Clock()
    core.clock = clock
    ctx, project_id, _secret = _prepare(core, receiver.url, ["change_request.opened"])
    _open(core, ctx, project_id)
    receiver.statuses = [status]
    assert webhooks.deliver_due(core) == 1
    [delivery] = webhooks.list_deliveries(core, actor=ctx.actor, webhook_id=1)
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    assert delivery["last_status_code"] == status
    assert delivery["last_error"] == f"HTTP {status} (permanent: not retried)"
    assert delivery["next_attempt_at"] is None
    clock.now += timedelta(hours=1)
    assert webhooks.deliver_due(core) == 0
    assert len(receiver.received) == 1


def test_rate_limiting_is_retried(core: Core, receiver: Receiver) -> None:
    clock = Clock()
    core.clock = clock
    ctx, project_id, _secret = _prepare(core, receiver.url, ["change_request.opened"])
    _open(core, ctx, project_id)
    receiver.statuses = [429]
    assert webhooks.deliver_due(core) == 1
    [delivery] = webhooks.list_deliveries(core, actor=ctx.actor, webhook_id=1)
    assert delivery["status"] == "pending" and delivery["last_status_code"] == 429
    clock.now += timedelta(seconds=10)
    assert webhooks.deliver_due(core) == 1
    [delivery] = webhooks.list_deliveries(core, actor=ctx.actor, webhook_id=1)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2


def test_unreachable_url_fails_after_max_attempts(core: Core) -> None:
    clock = Clock()
    core.clock = clock
    from tests._server import free_port

    url = f"http://127.0.0.1:{free_port()}/nobody"
    ctx, project_id, _secret = _prepare(core, url, ["change_request.opened"])
    _open(core, ctx, project_id)
    for attempt in range(webhooks.MAX_ATTEMPTS):
        assert webhooks.deliver_due(core) == 1
        clock.now += timedelta(seconds=10 * 2**attempt)
    [delivery] = webhooks.list_deliveries(core, actor=ctx.actor, webhook_id=1)
    assert delivery["status"] == "failed"
    assert delivery["attempts"] == webhooks.MAX_ATTEMPTS
    assert delivery["last_status_code"] is None and "Connect" in delivery["last_error"]
    assert webhooks.deliver_due(core) == 0


def test_webhook_routes(app_client: TestClient, core: Core) -> None:
    created = app_client.post(
        f"{API}/webhooks",
        json={"url": "https://example.com/hook", "events": ["change_request.applied"]},
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_")
    listed = app_client.get(f"{API}/webhooks").json()["items"]
    assert [item["id"] for item in listed] == [hook["id"]]
    assert "secret" not in listed[0]
    deliveries = app_client.get(f"{API}/webhooks/{hook['id']}/deliveries")
    assert deliveries.json() == {"items": []}
    for bad in (
        {"url": "ftp://example.com/x", "events": ["change_request.applied"]},
        {"url": "https://example.com/x", "events": ["prompt.nope"]},
        {"url": "https://example.com/x", "events": []},
    ):
        assert app_client.post(f"{API}/webhooks", json=bad).status_code == 422
    create_prompt(app_client, "greet", "Hi")
    assert app_client.post(
        f"{API}/change-requests", json={"prompt": "greet", "version": 1, "label": "production"}
    ).is_success
    assert app_client.delete(f"{API}/webhooks/{hook['id']}").status_code == 204
    assert app_client.delete(f"{API}/webhooks/{hook['id']}").status_code == 404
    actions = audit_actions(core)
    assert "webhook.create" in actions and "webhook.delete" in actions


def test_stopping_hands_back_the_deliveries_not_sent(core: Core, receiver: Receiver) -> None:
    clock = Clock()
    core.clock = clock
    ctx, project_id, _secret = _prepare(core, receiver.url, ["change_request.opened"])
    webhooks.create_webhook(
        core,
        ctx=ctx,
        project_id=project_id,
        data=webhooks.WebhookCreate(url=receiver.url, events=["change_request.opened"]),
    )
    _open(core, ctx, project_id)  # one delivery per webhook
    asked: list[int] = []

    def stop_after_one() -> bool:
        asked.append(1)
        return len(asked) > 1

    assert webhooks.deliver_due(core, should_stop=stop_after_one) == 1
    assert len(receiver.received) == 1
    first, second = (
        webhooks.list_deliveries(core, actor=ctx.actor, webhook_id=hook)[0] for hook in (1, 2)
    )
    assert first["status"] == "delivered"
    # Not sent, not counted as an attempt, and due now rather than after its lease.
    assert second["status"] == "pending" and second["attempts"] == 0
    assert second["next_attempt_at"] == clock.now.isoformat()
    assert webhooks.deliver_due(core, should_stop=lambda: True) == 0
    assert webhooks.deliver_due(core) == 1
    assert len(receiver.received) == 2


def test_the_apps_runner_delivers_what_the_api_queued(core: Core, receiver: Receiver) -> None:
    """Through the API, delivered by one synchronous step of the app's runner."""
    core.settings = core.settings.model_copy(update={"webhook_worker": False})
    app = create_app(core, static_dir=None)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with TestClient(app, headers=headers, raise_server_exceptions=False) as client:
        hook = client.post(
            f"{API}/webhooks", json={"url": receiver.url, "events": ["change_request.opened"]}
        ).json()
        create_prompt(client, "greet", "Hi")
        request = client.post(
            f"{API}/change-requests", json={"prompt": "greet", "version": 1, "label": "production"}
        ).json()
        runner = app.state.runner
        assert not runner.running
        assert runner.run_once(WEBHOOK_DELIVERIES) == 1
        assert runner.run_once(WEBHOOK_DELIVERIES) == 0
        [hit] = receiver.received
        assert json.loads(hit["body"])["data"]["id"] == request["id"]
        [delivery] = client.get(f"{API}/webhooks/{hook['id']}/deliveries").json()["items"]
        assert delivery["status"] == "delivered" and delivery["attempts"] == 1


def test_private_webhook_urls_are_refused_unless_the_server_allows_them(
    app_client: TestClient, core: Core, receiver: Receiver
) -> None:
    """PROMPTYARD_WEBHOOK_ALLOW_PRIVATE is off by default: a webhook is not a way to make
    the server POST to its own loopback, the cloud metadata address or the office LAN.
    (The shared test settings turn it on for the loopback receivers.)"""
    from promptyard.config import Settings

    assert Settings.model_fields["webhook_allow_private"].default is False
    core.settings.webhook_allow_private = False
    events = ["change_request.opened"]
    for url in (
        receiver.url,
        "http://localhost:5432/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/hook",
        "http://metadata.google.internal/",
    ):
        refused = app_client.post(f"{API}/webhooks", json={"url": url, "events": events})
        assert refused.status_code == 422, (url, refused.text)
        assert "PROMPTYARD_WEBHOOK_ALLOW_PRIVATE" in refused.json()["error"]["message"]
    assert app_client.get(f"{API}/webhooks").json()["items"] == []
    public = {"url": "https://hooks.example.com/promptyard", "events": events}
    assert app_client.post(f"{API}/webhooks", json=public).status_code == 201


def test_a_saved_private_webhook_is_not_sent_once_the_server_refuses_them(
    app_client: TestClient, core: Core, receiver: Receiver
) -> None:
    """Checked again before every send: turning the switch off stops deliveries to an
    address saved while it was on, and the delivery says why."""
    events = ["change_request.opened"]
    hook = app_client.post(f"{API}/webhooks", json={"url": receiver.url, "events": events})
    assert hook.status_code == 201
    core.settings.webhook_allow_private = False
    ping = app_client.post(f"{API}/webhooks/{hook.json()['id']}/test")
    assert ping.status_code == 200, ping.text
    assert ping.json()["status"] == "failed"
    assert "PROMPTYARD_WEBHOOK_ALLOW_PRIVATE" in ping.json()["last_error"]
    assert receiver.received == []
    core.settings.webhook_allow_private = True
    again = app_client.post(f"{API}/webhooks/{hook.json()['id']}/test").json()
    assert again["status"] == "delivered" and len(receiver.received) == 1
