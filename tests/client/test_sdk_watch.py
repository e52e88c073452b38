"""``watch=True``: label moves reach a watching client within a second, through the real
``GET /api/v1/prompts/changes`` stream; a dropped stream reconnects."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from promptyard.client import AsyncClient, Client
from promptyard.client._delivery import _interrupt
from tests._server import LiveServer


def _until(check: Callable[[], bool], within: float) -> float:
    """Seconds until ``check()`` holds; fails after ``within``."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within, "not within the time allowed"
        time.sleep(0.01)
    return time.monotonic() - start


def _publish_two_versions(client: Client, name: str) -> None:
    client.create_prompt(name, content="first")
    client.update_prompt(name, content="second")
    client.set_label(name, "production", 1)


def test_a_label_move_is_seen_within_a_second(
    server: LiveServer, client: Client, name: str
) -> None:
    _publish_two_versions(client, name)
    with Client(server.url, server.api_key, watch=True) as sdk:
        _until(lambda: sdk.watching, 10)
        assert sdk.get_prompt(name, cache_ttl=3600).compile() == "first"
        client.set_label(name, "production", 2)
        moved = time.monotonic()
        _until(lambda: sdk.get_prompt(name, cache_ttl=3600).compile() == "second", 1.0)
        assert time.monotonic() - moved < 1.0


def test_an_include_moving_refreshes_the_prompts_that_include_it(
    server: LiveServer, client: Client, name: str
) -> None:
    tone = f"{name}-tone"
    _publish_two_versions(client, tone)
    client.create_prompt(name, content=f'{{% include "prompt:{tone}@production" %}}!')
    client.set_label(name, "production", 1)
    with Client(server.url, server.api_key, watch=True) as sdk:
        _until(lambda: sdk.watching, 10)
        assert sdk.get_prompt(name, cache_ttl=3600).compile() == "first!"
        client.set_label(tone, "production", 2)
        _until(lambda: sdk.get_prompt(name, cache_ttl=3600).compile() == "second!", 1.0)


def test_a_dropped_stream_reconnects_and_resumes(
    server: LiveServer, client: Client, name: str
) -> None:
    _publish_two_versions(client, name)
    with Client(server.url, server.api_key, watch=True) as sdk:
        _until(lambda: sdk.watching, 10)
        assert sdk.get_prompt(name, cache_ttl=3600).compile() == "first"
        response = sdk._watch_response
        assert response is not None
        _interrupt(response)  # the connection drops
        _until(lambda: not sdk.watching, 5)
        client.set_label(name, "production", 2)  # while disconnected: replayed on resume
        _until(lambda: sdk.watching, 10)
        _until(lambda: sdk.get_prompt(name, cache_ttl=3600).compile() == "second", 1.0)
        client.set_label(name, "production", 1)
        _until(lambda: sdk.get_prompt(name, cache_ttl=3600).compile() == "first", 1.0)


def test_a_deleted_prompt_is_dropped(server: LiveServer, client: Client, name: str) -> None:
    _publish_two_versions(client, name)
    with Client(server.url, server.api_key, watch=True) as sdk:
        _until(lambda: sdk.watching, 10)
        sdk.get_prompt(name, cache_ttl=3600)
        client.delete_prompt(name)
        _until(lambda: ("default", name, "label:production") not in sdk._cache.entries, 1.0)


def test_the_async_client_sees_a_label_move_within_a_second(
    server: LiveServer, client: Client, name: str
) -> None:
    _publish_two_versions(client, name)

    async def scenario() -> float:
        async with AsyncClient(server.url, server.api_key, watch=True) as sdk:
            for _ in range(1000):
                if sdk.watching:
                    break
                await asyncio.sleep(0.01)
            assert sdk.watching
            assert (await sdk.get_prompt(name, cache_ttl=3600)).compile() == "first"
            await asyncio.to_thread(client.set_label, name, "production", 2)
            start = time.monotonic()
            while (await sdk.get_prompt(name, cache_ttl=3600)).compile() != "second":
                assert time.monotonic() - start < 1.0
                await asyncio.sleep(0.01)
            return time.monotonic() - start

    assert asyncio.run(scenario()) < 1.0
