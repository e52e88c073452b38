"""Webhooks on prompt events, the test delivery, and audit search by a prompt's name:
through the real app on SQLite and PostgreSQL, delivered to a real loopback server."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from promptyard.server.app import create_app
from promptyard.services.context import Core
from promptyard.workers import WEBHOOK_DELIVERIES
from tests.conftest import API_KEY
from tests.governance._helpers import API, create_prompt, make_key
from tests.governance.test_webhooks import Receiver

PROMPT_EVENTS = [
    "prompt.created",
    "version.created",
    "label.moved",
    "prompt.deleted",
    "prompt.restored",
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def app(core: Core) -> Iterator[tuple[TestClient, Any]]:
    """The app with its runner stopped: deliveries go out when the test runs one step."""
    core.settings = core.settings.model_copy(update={"webhook_worker": False})
    app = create_app(core, static_dir=None)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with TestClient(app, headers=headers, raise_server_exceptions=False) as client:
        yield client, app.state.runner


def _events(receiver: Receiver) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for hit in receiver.received:
        body = json.loads(hit["body"])
        assert body["event"] == hit["headers"]["X-Promptyard-Event"]
        out.append((body["event"], body["data"]))
    return out


def test_prompt_events_reach_a_subscribed_webhook(
    app: tuple[TestClient, Any], receiver: Receiver
) -> None:
    client, runner = app
    hook = client.post(f"{API}/webhooks", json={"url": receiver.url, "events": PROMPT_EVENTS})
    assert hook.status_code == 201, hook.text
    create_prompt(client, "greet", "Hi {{ name }}")
    r = client.patch(f"{API}/prompts/greet", json={"content": "Hello {{ name }}"})
    assert r.status_code == 200, r.text
    r = client.put(f"{API}/prompts/greet/labels/production", json={"version": 2})
    assert r.status_code == 200, r.text
    assert client.delete(f"{API}/prompts/greet").status_code == 204
    assert client.post(f"{API}/prompts/greet/restore").status_code == 200
    # Another project's prompt: this webhook belongs to the default project only.
    assert (
        client.post(f"{API}/projects", json={"name": "Other", "slug": "other"}).status_code == 201
    )
    r = client.post(
        f"{API}/prompts", params={"project": "other"}, json={"name": "elsewhere", "content": "x"}
    )
    assert r.status_code == 201, r.text

    assert runner.run_once(WEBHOOK_DELIVERIES) == 5
    events = _events(receiver)
    assert [event for event, _ in events] == PROMPT_EVENTS
    by_event = dict(events)
    assert by_event["prompt.created"]["prompt"]["name"] == "greet"
    assert by_event["prompt.created"]["project"] == "default"
    assert by_event["prompt.created"]["version"] == 1
    assert by_event["version.created"]["version"] == 2
    assert by_event["version.created"]["parent"] == 1
    assert by_event["version.created"]["branch"] == "main"
    assert by_event["label.moved"]["label"] == "production"
    assert (by_event["label.moved"]["from"], by_event["label.moved"]["to"]) == (None, 2)
    assert all(data["actor"].startswith("key:") for _, data in events)
    deliveries = client.get(f"{API}/webhooks/{hook.json()['id']}/deliveries").json()["items"]
    assert {d["status"] for d in deliveries} == {"delivered"}


def test_a_webhook_gets_only_the_events_it_subscribed_to(
    app: tuple[TestClient, Any], receiver: Receiver
) -> None:
    client, runner = app
    r = client.post(f"{API}/webhooks", json={"url": receiver.url, "events": ["label.moved"]})
    assert r.status_code == 201, r.text
    create_prompt(client, "greet", "Hi")
    client.patch(f"{API}/prompts/greet", json={"content": "Hello"})
    r = client.post(
        f"{API}/prompts/bulk", json={"action": "label", "names": ["greet"], "label": "staging"}
    )
    assert r.status_code == 200, r.text
    assert runner.run_once(WEBHOOK_DELIVERIES) == 1
    [(event, data)] = _events(receiver)
    assert event == "label.moved" and data["label"] == "staging" and data["to"] == 2


def test_unknown_event_names_are_refused_with_the_list(app: tuple[TestClient, Any]) -> None:
    client, _runner = app
    r = client.post(f"{API}/webhooks", json={"url": "http://127.0.0.1:9/h", "events": ["ping"]})
    assert r.status_code == 422
    assert "prompt.created" in r.text and "label.moved" in r.text


def test_send_test_delivery_signs_a_ping_and_reports_the_outcome(
    app: tuple[TestClient, Any], receiver: Receiver
) -> None:
    client, runner = app
    created = client.post(
        f"{API}/webhooks", json={"url": receiver.url, "events": ["prompt.created"]}
    ).json()
    r = client.post(f"{API}/webhooks/{created['id']}/test")
    assert r.status_code == 200, r.text
    delivery = r.json()
    assert delivery["event"] == "ping" and delivery["status"] == "delivered"
    assert delivery["attempts"] == 1 and delivery["last_status_code"] == 200
    [hit] = receiver.received
    headers = {key.lower(): value for key, value in hit["headers"].items()}
    assert headers["x-promptyard-event"] == "ping"
    assert headers["x-promptyard-delivery"] == str(delivery["id"])
    mac = hmac.new(
        created["secret"].encode(),
        headers["x-promptyard-timestamp"].encode() + b"." + hit["body"],
        hashlib.sha256,
    )
    assert headers["x-promptyard-signature"] == "sha256=" + mac.hexdigest()
    assert json.loads(hit["body"])["data"]["webhook_id"] == created["id"]

    # A refusal is reported at once and not retried later by the runner.
    receiver.statuses = [500]
    failed = client.post(f"{API}/webhooks/{created['id']}/test").json()
    assert failed["status"] == "failed" and failed["last_status_code"] == 500
    assert failed["next_attempt_at"] is None
    assert runner.run_once(WEBHOOK_DELIVERIES) == 0
    listed = client.get(f"{API}/webhooks/{created['id']}/deliveries").json()["items"]
    assert [d["event"] for d in listed] == ["ping", "ping"]
    actions = client.get(f"{API}/audit", params={"action": "webhook.test"}).json()["items"]
    assert len(actions) == 2


def test_send_test_delivery_to_a_dead_endpoint_says_why(app: tuple[TestClient, Any]) -> None:
    client, _runner = app
    hook = client.post(
        f"{API}/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["prompt.created"]}
    ).json()
    r = client.post(f"{API}/webhooks/{hook['id']}/test")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "failed" and r.json()["last_status_code"] is None
    assert "ConnectError" in r.json()["last_error"]


def test_send_test_delivery_needs_an_existing_webhook_and_the_permission(
    app: tuple[TestClient, Any], core: Core, receiver: Receiver
) -> None:
    client, _runner = app
    r = client.post(f"{API}/webhooks/424242/test")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    hook = client.post(
        f"{API}/webhooks", json={"url": receiver.url, "events": ["prompt.created"]}
    ).json()
    r = client.post(f"{API}/webhooks/{hook['id']}/test", headers=make_key(core, "rev"))
    assert r.status_code == 403
    assert receiver.received == []


def test_audit_search_by_object_accepts_a_prompt_name(app: tuple[TestClient, Any]) -> None:
    client, _runner = app
    create_prompt(client, "greet", "Hi")
    client.patch(f"{API}/prompts/greet", json={"content": "Hello"})
    create_prompt(client, "other", "Bye")
    prompt_id = client.get(f"{API}/prompts/greet").json()["id"]

    page = client.get(f"{API}/audit", params={"object_id": "greet"}).json()
    assert [e["action"] for e in page["items"]] == ["prompt.update", "prompt.create"]
    assert page["total"] == 2
    assert {e["object_id"] for e in page["items"]} == {str(prompt_id)}
    assert {(e["object_project"], e["object_name"]) for e in page["items"]} == {
        ("default", "greet")
    }
    # The id still works; a name under another object type does not resolve.
    by_id = client.get(
        f"{API}/audit", params={"object_type": "prompt", "object_id": str(prompt_id)}
    ).json()
    assert by_id["total"] == 2
    typed = client.get(f"{API}/audit", params={"object_type": "prompt", "object_id": "greet"})
    assert typed.json()["total"] == 2
    other = client.get(f"{API}/audit", params={"object_type": "key", "object_id": "greet"})
    assert other.json()["total"] == 0
    # Objects that are not prompts carry no link.
    keys = client.get(f"{API}/audit", params={"object_type": "project"}).json()["items"]
    assert all(e["object_name"] is None for e in keys)
