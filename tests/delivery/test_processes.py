"""Two real ``promptyard serve`` processes on one database serve the same answers: a
write through one is served by the other within a second, a key revoked through one is
refused by the other within a second, and the other's change stream carries the write.
On PostgreSQL, and on SQLite with both processes on the same file."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests._server import ServerProcess, running_server
from tests.conftest import API_KEY
from tests.delivery._sse import Watcher


@pytest.fixture
def pair(db_url: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    with (
        running_server(tmp_path / "a", database_url=db_url, api_key=API_KEY) as a,
        running_server(tmp_path / "b", database_url=db_url, api_key=API_KEY) as b,
    ):
        yield a, b


def _client(server: ServerProcess, token: str = API_KEY) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


def _within(seconds: float, check: Callable[[], bool]) -> float:
    """How long until ``check()`` held (polled every 10 ms); fails after ``seconds``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.01)
    return time.monotonic() - started


def test_a_label_moved_in_one_process_is_served_by_the_other(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = pair
    with _client(a) as on_a, _client(b) as on_b:
        assert on_a.post("/api/v1/prompts", json={"name": "p", "content": "one"}).status_code == 201
        assert on_a.patch("/api/v1/prompts/p", json={"content": "two"}).is_success
        assert on_a.put("/api/v1/prompts/p/labels/production", json={"version": 1}).is_success

        def served_version() -> int:
            got = on_b.get("/api/v1/prompts/p", params={"label": "production"})
            assert got.status_code == 200, got.text
            return int(got.json()["version"]["number"])

        assert served_version() == 1
        assert served_version() == 1  # now from B's cache (its fast path)
        watcher = Watcher(b.url, API_KEY, params={"timeout": 3})  # ends by itself
        try:
            assert watcher.next().event == "ready"
            moved = on_a.put("/api/v1/prompts/p/labels/production", json={"version": 2})
            assert moved.is_success
            elapsed = _within(1.0, lambda: served_version() == 2)
            event = watcher.next(1.0)
        finally:
            watcher.close()
        assert (event.json["kind"], event.json["label"], event.json["version"]) == (
            "label",
            "production",
            2,
        )
        assert elapsed < 1.0


def test_a_key_revoked_in_one_process_is_refused_by_the_other(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = pair
    with _client(a) as on_a:
        made = on_a.post("/api/v1/keys", json={"name": "agent", "role": "viewer"})
        assert made.status_code == 201, made.text
        token, key_id = made.json()["key"], made.json()["id"]
        with _client(b, token) as agent_on_b:
            assert agent_on_b.get("/api/v1/prompts").status_code == 200
            assert agent_on_b.get("/api/v1/prompts").status_code == 200  # cached actor
            assert on_a.delete(f"/api/v1/keys/{key_id}").status_code == 204
            _within(1.0, lambda: agent_on_b.get("/api/v1/prompts").status_code == 401)
