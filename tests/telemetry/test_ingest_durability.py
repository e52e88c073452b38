"""Acknowledged means durable: SIGKILL a real ``promptyard serve`` right after it
acknowledged generation batches, while more are in flight; every acknowledged row is
there after a restart, an in-flight batch is there entirely or not at all, and nothing is
stored twice when the client resends it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx

from tests._server import running_server
from tests.api._helpers import API, ok

BATCH = f"{API}/generations/batch"
SIZE = 200


def _batch(writer: int, number: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"w{writer}-b{number}-{index}",
            "model": "gpt-4o-mini",
            "input_tokens": 100 + index,
            "output_tokens": 20,
            "input": f"question {index}",
            "output": f"answer {index}",
        }
        for index in range(SIZE)
    ]


def test_acknowledged_generations_survive_sigkill(fresh_db_url: str, tmp_path: Path) -> None:
    api_key = "py_test_ingest_kill_0123456789"
    acknowledged: list[set[str]] = [set(), set()]
    in_flight: list[list[dict[str, Any]] | None] = [None, None]
    enough = threading.Event()

    with running_server(tmp_path, database_url=fresh_db_url, api_key=api_key) as server:

        def writer(number: int) -> None:
            with httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
            ) as client:
                for batch_number in range(10_000):
                    items = _batch(number, batch_number)
                    in_flight[number] = items
                    try:
                        response = client.post(BATCH, json={"generations": items})
                    except httpx.HTTPError:
                        return  # the server died with this batch in flight
                    assert response.status_code == 200, response.text
                    assert response.json()["created"] == SIZE
                    acknowledged[number].update(item["id"] for item in items)
                    in_flight[number] = None
                    if sum(len(ids) for ids in acknowledged) >= 20 * SIZE:
                        enough.set()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        assert enough.wait(timeout=120), "the writers never got 20 batches acknowledged"
        server.kill()
        for thread in threads:
            thread.join(timeout=30)

    with (
        running_server(tmp_path, database_url=fresh_db_url, api_key=api_key) as server,
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
        ) as client,
    ):
        stored = _all_ids(client)
        assert len(stored) == len(set(stored)), "a generation was stored twice"
        expected = acknowledged[0] | acknowledged[1]
        assert expected <= set(stored), f"{len(expected - set(stored))} acknowledged rows lost"
        pending = [{item["id"] for item in batch} for batch in in_flight if batch is not None]
        unanswered: set[str] = set().union(*pending)
        extra = set(stored) - expected
        assert extra <= unanswered
        for ids in pending:  # an unanswered batch landed entirely or not at all
            assert extra & ids in (set(), ids)
        # Resending what was in flight (as a client does after a timeout) stores each once.
        for batch in in_flight:
            if batch is not None:
                again = ok(client.post(BATCH, json={"generations": batch}))
                assert again["created"] + again["duplicates"] == SIZE
        after = _all_ids(client)
        assert sorted(after) == sorted(expected | unanswered)


def _all_ids(client: httpx.Client) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = ok(client.get(f"{API}/generations", params=params))
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
