"""The change stream over a real connection: the wire format of the contract, filtering
by workspace, project and role, resume, reset, heartbeats and disconnects."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from promptyard.services.context import Core
from tests._factories import project_id
from tests.conftest import API_KEY
from tests.delivery._sse import Watcher
from tests.delivery.conftest import Served
from tests.security._setup import add_key, default_workspace_id, other_workspace

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)$")


def _api(served: Served, token: str = API_KEY) -> httpx.Client:
    return httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"})


def _create(api: httpx.Client, name: str, project: str = "default") -> None:
    made = api.post(
        "/api/v1/prompts", params={"project": project}, json={"name": name, "content": "x"}
    )
    assert made.status_code == 201, made.text


def test_wire_format_is_the_contract(served: Served) -> None:
    watcher = Watcher(served.url, API_KEY)
    try:
        assert watcher.status == 200
        assert watcher.content_type is not None
        assert watcher.content_type.startswith("text/event-stream")
        ready = watcher.next()
        assert ready.event == "ready" and ready.id is None
        assert set(ready.json) == {"last_id"} and isinstance(ready.json["last_id"], int)
        with _api(served) as api:
            _create(api, "greet")
            assert api.patch("/api/v1/prompts/greet", json={"content": "y"}).is_success
            moved = api.put("/api/v1/prompts/greet/labels/production", json={"version": 1})
            assert moved.is_success, moved.text
            assert api.delete("/api/v1/prompts/greet").status_code == 204
            assert api.post("/api/v1/prompts/greet/restore").is_success
        got = [watcher.next() for _ in range(5)]
    finally:
        watcher.close()
    kinds = [(e.json["kind"], e.json["version"], e.json["label"]) for e in got]
    assert kinds == [
        ("created", 1, None),
        ("version", 2, None),
        ("label", 1, "production"),
        ("deleted", None, None),
        ("restored", None, None),
    ]
    ids = [int(e.id or 0) for e in got]
    assert ids == sorted(ids) and len(set(ids)) == 5 and ids[0] > ready.json["last_id"]
    for event in got:
        # exactly three lines: id, event, data (one line of JSON)
        assert event.lines == [f"id: {event.id}", "event: prompt", f"data: {event.data}"]
        data = event.json
        assert set(data) == {"id", "project", "name", "kind", "version", "label", "at"}
        assert data["id"] == int(event.id or 0)
        assert (data["project"], data["name"]) == ("default", "greet")
        assert ISO.match(data["at"]), data["at"]


def test_filtered_by_workspace_project_and_key_scope(core: Core, served: Served) -> None:
    with _api(served) as api:
        assert api.post("/api/v1/projects", json={"slug": "side", "name": "S"}).status_code == 201
    workspace = default_workspace_id(core)
    side_key = add_key(
        core,
        role="viewer",
        workspace_id=workspace,
        name="side",
        project_id=project_id(core, "side"),
    )
    other_token = other_workspace(core)
    mine = Watcher(served.url, API_KEY)
    only_side = Watcher(served.url, API_KEY, params={"project": "side"})
    scoped = Watcher(served.url, side_key)
    foreign = Watcher(served.url, other_token)
    both = Watcher(served.url, API_KEY, params={"project": ["side", "default"]})
    watchers = [mine, only_side, scoped, foreign, both]
    try:
        for watcher in watchers:
            assert watcher.status == 200
            assert watcher.next().event == "ready"
        with _api(served) as api:
            _create(api, "in-default")
            _create(api, "in-side", "side")
        seen = {id(w): [e.json["name"] for e in w.drain(1.0)] for w in watchers}
    finally:
        for watcher in watchers:
            watcher.close()
    assert seen[id(mine)] == ["in-default", "in-side"]
    assert seen[id(both)] == ["in-default", "in-side"]
    assert seen[id(only_side)] == ["in-side"]
    assert seen[id(scoped)] == ["in-side"]
    assert seen[id(foreign)] == []


def test_refused_without_read_or_outside_the_callers_projects(core: Core, served: Served) -> None:
    other_token = other_workspace(core)
    url = f"{served.url}/api/v1/prompts/changes"
    params = {"project": "default", "timeout": "0"}
    assert httpx.get(url, params=params).status_code == 401
    foreign = httpx.get(url, params=params, headers={"Authorization": f"Bearer {other_token}"})
    assert foreign.status_code == 404
    workspace = default_workspace_id(core)
    nobody = add_key(core, role="viewer", workspace_id=workspace, name="v")
    ok = httpx.get(url, params=params, headers={"Authorization": f"Bearer {nobody}"})
    assert ok.status_code == 200
    bad = httpx.get(
        url, params={"project": "Not A Slug"}, headers={"Authorization": f"Bearer {nobody}"}
    )
    assert bad.status_code == 422


def test_resume_with_last_event_id_and_after(served: Served) -> None:
    with _api(served) as api:
        for name in ("a", "b", "c"):
            _create(api, name)
    first = Watcher(served.url, API_KEY, params={"after": 0, "timeout": 0})
    try:
        replayed = first.drain(1.0)
    finally:
        first.close()
    assert [e.event for e in replayed] == ["ready", "prompt", "prompt", "prompt"]
    names = [e.json["name"] for e in replayed[1:]]
    assert names == ["a", "b", "c"]
    after_a = replayed[1].id or ""
    again = Watcher(served.url, API_KEY, headers={"Last-Event-ID": after_a})
    try:
        assert again.next().event == "ready"
        assert [again.next().json["name"] for _ in range(2)] == ["b", "c"]
        with _api(served) as api:
            _create(api, "d")
        assert again.next().json["name"] == "d"  # then live, nothing twice
        assert again.drain(0.5) == []
    finally:
        again.close()


def test_reset_when_the_resume_id_is_too_old_or_unknown(core: Core, served: Served) -> None:
    core.settings.change_replay_events = 2
    with _api(served) as api:
        for name in ("a", "b", "c"):
            _create(api, name)
    for resume in ("0", "999999"):
        watcher = Watcher(served.url, API_KEY, headers={"Last-Event-ID": resume})
        try:
            ready = watcher.next()
            reset = watcher.next()
            assert reset.event == "reset" and reset.json == {}
            assert reset.id == str(ready.json["last_id"])  # the client's new position
            assert watcher.drain(0.4) == []
        finally:
            watcher.close()


def test_heartbeats_when_idle(served: Served) -> None:
    watcher = Watcher(served.url, API_KEY)
    try:
        assert watcher.next().event == "ready"
        ping = watcher.next(3.0, skip_pings=False)
        assert ping.event == "ping" and ping.lines == [": ping"]
    finally:
        watcher.close()


def test_a_disconnected_client_frees_its_subscription(served: Served) -> None:
    hub = served.app.state.changes
    watchers = [Watcher(served.url, API_KEY) for _ in range(3)]
    for watcher in watchers:
        assert watcher.next().event == "ready"
    assert len(hub.subscribers) == 3
    for watcher in watchers:
        watcher.close()
    deadline = time.monotonic() + 3
    while hub.subscribers and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(hub.subscribers) == 0


def test_a_revoked_key_loses_its_stream(core: Core, served: Served) -> None:
    with _api(served) as api:
        made = api.post("/api/v1/keys", json={"name": "agent", "role": "viewer"})
        assert made.status_code == 201, made.text
        watcher = Watcher(served.url, made.json()["key"])
        try:
            assert watcher.next().event == "ready"
            assert api.delete(f"/api/v1/keys/{made.json()['id']}").status_code == 204
            assert watcher.closed.wait(2.0)
        finally:
            watcher.close()


@pytest.mark.parametrize("timeout", ["0", "0.5"])
def test_timeout_closes_the_stream(served: Served, timeout: str) -> None:
    started = time.monotonic()
    got = httpx.get(
        f"{served.url}/api/v1/prompts/changes",
        params={"timeout": timeout},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert got.status_code == 200
    assert got.text.startswith('event: ready\ndata: {"last_id":')
    assert time.monotonic() - started < float(timeout) + 2
