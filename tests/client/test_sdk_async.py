"""``AsyncClient``: the same delivery as ``Client``, on the event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from promptyard.client import (
    AsyncClient,
    ChatPrompt,
    Client,
    MissingVariablesError,
    NotFoundError,
    PromptTypeError,
    PromptyardConnectionError,
    UnauthenticatedError,
)
from tests._server import LiveServer, free_port
from tests.client._transport import AsyncRecorder, FakeClock


def _publish(client: Client, name: str, content: Any, *, type: str = "text") -> None:
    client.create_prompt(name, type=type, content=content)  # type: ignore[arg-type]
    client.set_label(name, "production", 1)


def _run(
    server: LiveServer,
    scenario: Callable[[AsyncClient, AsyncRecorder, FakeClock], Awaitable[None]],
    **options: Any,
) -> None:
    async def main() -> None:
        recorder, clock = AsyncRecorder(), FakeClock()
        async with (
            httpx.AsyncClient(transport=recorder) as http,
            AsyncClient(
                server.url, server.api_key, http_client=http, clock=clock, **options
            ) as sdk,
        ):
            await scenario(sdk, recorder, clock)

    asyncio.run(main())


def test_compile_parity_and_typed_errors(server: LiveServer, client: Client, name: str) -> None:
    tone = f"{name}-tone"
    _publish(client, tone, "calm")
    chat = [
        {"role": "system", "content": f'{{% include "prompt:{tone}@production" %}}'},
        {"role": "user", "content": "{{ q }}"},
    ]
    _publish(client, name, chat, type="chat")
    expected = client.render(name, {"q": "why"}, label="production")["rendered"]

    async def scenario(sdk: AsyncClient, recorder: AsyncRecorder, clock: FakeClock) -> None:
        prompt = await sdk.get_prompt(name, type="chat")
        assert isinstance(prompt, ChatPrompt)
        assert prompt.compile(q="why") == expected
        with pytest.raises(MissingVariablesError) as info:
            prompt.compile()
        assert info.value.missing == ["q"]
        with pytest.raises(PromptTypeError):
            await sdk.get_prompt(name, type="text")
        with pytest.raises(NotFoundError):
            await sdk.get_prompt(f"{name}-missing", fallback="unused")
        assert len(recorder.prompt_reads(f"{name}-missing")) == 1
        details = await sdk.get_prompt_details(name)
        assert details["name"] == name

    _run(server, scenario)


def test_stale_while_revalidate_one_refresh_per_key(
    server: LiveServer, client: Client, name: str
) -> None:
    _publish(client, name, "v1")

    async def scenario(sdk: AsyncClient, recorder: AsyncRecorder, clock: FakeClock) -> None:
        assert (await sdk.get_prompt(name)).compile() == "v1"
        await asyncio.to_thread(client.update_prompt, name, content="v2")
        await asyncio.to_thread(client.set_label, name, "production", 2)
        clock.advance(61)
        served = await asyncio.gather(*(sdk.get_prompt(name) for _ in range(50)))
        assert {p.compile() for p in served} == {"v1"}
        assert await sdk.wait_for_idle(5)
        assert (await sdk.get_prompt(name)).compile() == "v2"
        assert len(recorder.prompt_reads(name)) == 2

    _run(server, scenario)


def test_outage_last_good_copy_warning_and_fallback(
    server: LiveServer, client: Client, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="promptyard.client")
    _publish(client, name, "kept")

    async def scenario(sdk: AsyncClient, recorder: AsyncRecorder, clock: FakeClock) -> None:
        await sdk.get_prompt(name)
        recorder.down = True
        for _ in range(3):
            clock.advance(61)
            assert (await sdk.get_prompt(name, fallback="fb")).compile() == "kept"
            assert await sdk.wait_for_idle(5)
        fallback = await sdk.get_prompt(f"{name}-new", fallback="fb")
        assert fallback.is_fallback and fallback.compile() == "fb"
        with pytest.raises(PromptyardConnectionError):
            await sdk.get_prompt(f"{name}-none")

    _run(server, scenario)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1


def test_unauthenticated_is_not_retried(server: LiveServer, name: str) -> None:
    async def main() -> None:
        recorder = AsyncRecorder()
        async with (
            httpx.AsyncClient(transport=recorder) as http,
            AsyncClient(server.url, "py_wrong", http_client=http) as sdk,
        ):
            with pytest.raises(UnauthenticatedError):
                await sdk.get_prompt(name, fallback="unused")
            assert len(recorder.prompt_reads(name)) == 1

    asyncio.run(main())


def test_cache_dir_survives_a_restart_during_an_outage(
    server: LiveServer, client: Client, name: str, tmp_path: Path
) -> None:
    _publish(client, name, "saved {{ x }}")

    async def main() -> None:
        async with AsyncClient(server.url, server.api_key, cache_dir=tmp_path) as first:
            await first.get_prompt(name)
            await first.prefetch([f"{name}@v1"])
        closed = f"http://127.0.0.1:{free_port()}"
        async with AsyncClient(closed, server.api_key, cache_dir=tmp_path) as second:
            assert (await second.get_prompt(name)).compile(x=1) == "saved 1"
            assert (await second.get_prompt(name, version=1)).version == 1

    asyncio.run(main())
