"""Concurrent writers against a real server: no lost update, no duplicate, no gap."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from promptyard.services.context import Core
from promptyard.services.operations import audit
from tests.api._helpers import PROMPTS
from tests.conftest import API_KEY, LiveServer

CLIENTS = 20


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60
    )


def _seed(server: LiveServer) -> None:
    with _client(server) as client:
        response = client.post(PROMPTS, json={"name": "hot", "content": "v1 {{ x }}"})
        assert response.status_code == 201, response.text


def _race(server: LiveServer, *, with_base: bool) -> list[tuple[str, int, Any]]:
    """Every client reads the prompt, then writes its own content; all start together."""
    barrier = threading.Barrier(CLIENTS)

    def worker(index: int) -> tuple[str, int, Any]:
        content = f"client {index} says {{{{ x }}}}"
        with _client(server) as client:
            barrier.wait(timeout=30)
            read = client.get(f"{PROMPTS}/hot")
            assert read.status_code == 200, read.text
            body: dict[str, Any] = {"content": content, "commit_message": f"c{index}"}
            if with_base:
                body["base_version"] = read.json()["latest_version"]
            response = client.patch(f"{PROMPTS}/hot", json=body)
            return content, response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(worker, range(CLIENTS)))


def _history(server: LiveServer) -> list[dict[str, Any]]:
    with _client(server) as client:
        body = client.get(f"{PROMPTS}/hot/versions", params={"limit": 500}).json()
    return sorted(body["items"], key=lambda v: v["number"])


def _check_linear(history: list[dict[str, Any]], landed: list[str], core: Core) -> None:
    numbers = [v["number"] for v in history]
    assert numbers == list(range(1, len(landed) + 2))  # contiguous, starting at 1
    assert [v["parent"] for v in history] == [None, *numbers[:-1]]  # nothing overwritten
    counts = Counter(v["content"] for v in history[1:])
    assert counts == Counter(landed)
    assert all(count == 1 for count in counts.values())
    result = audit.verify(core)
    assert result.ok, result


def test_concurrent_updates_with_base_version(live_server: LiveServer, core: Core) -> None:
    _seed(live_server)
    results = _race(live_server, with_base=True)

    landed: list[str] = []
    for content, status, body in results:
        assert status in (200, 409), (status, body)
        if status == 200:
            assert body["version"]["content"] == content
            landed.append(content)
        else:
            assert body["error"]["code"] == "stale_version", body
            assert body["error"]["details"]["current"] > body["error"]["details"]["base_version"]
    assert landed, "at least one writer must win"
    winners = sorted(body["version"]["number"] for _, status, body in results if status == 200)
    assert winners == list(range(2, len(landed) + 2))

    history = _history(live_server)
    _check_linear(history, landed, core)
    with _client(live_server) as client:
        current = client.get(f"{PROMPTS}/hot").json()
    assert current["latest_version"] == len(landed) + 1
    assert current["version"]["content"] == history[-1]["content"]


def test_concurrent_updates_without_base_version_all_land(
    live_server: LiveServer, core: Core
) -> None:
    _seed(live_server)
    results = _race(live_server, with_base=False)
    assert [status for _, status, _ in results] == [200] * CLIENTS, results
    landed = [content for content, _, _ in results]
    numbers = sorted(body["version"]["number"] for _, _, body in results)
    assert numbers == list(range(2, CLIENTS + 2))

    history = _history(live_server)
    _check_linear(history, landed, core)
    with _client(live_server) as client:
        events = client.get(f"{PROMPTS}/hot/label-events", params={"label": "latest"}).json()
    moves = [(e["from_version"], e["to_version"]) for e in reversed(events["items"])]
    assert moves == [(None, 1)] + [(n - 1, n) for n in range(2, CLIENTS + 2)]


def test_concurrent_creates_of_one_name_make_exactly_one_prompt(
    live_server: LiveServer, core: Core
) -> None:
    barrier = threading.Barrier(CLIENTS)

    def worker(index: int) -> tuple[int, Any]:
        name = "same" if index % 2 else f"own-{index}"
        with _client(live_server) as client:
            barrier.wait(timeout=30)
            response = client.post(PROMPTS, json={"name": name, "content": f"by {index}"})
            return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(worker, range(CLIENTS)))
    same = [(status, body) for index, (status, body) in enumerate(results) if index % 2]
    own = [status for index, (status, _) in enumerate(results) if not index % 2]
    assert own == [201] * (CLIENTS // 2)
    assert sorted(status for status, _ in same) == [201] + [409] * (CLIENTS // 2 - 1), same
    for status, body in same:
        if status == 409:
            assert body["error"]["code"] == "already_exists"
    with _client(live_server) as client:
        listed = client.get(PROMPTS, params={"limit": 200}).json()
        history = client.get(f"{PROMPTS}/same/versions").json()
    assert listed["total"] == CLIENTS // 2 + 1
    assert history["total"] == 1
    assert audit.verify(core).ok
