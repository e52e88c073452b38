"""``Client.scan`` and ``AsyncClient.scan`` against a live server: unsaved content, a
stored version, the project report, and errors as the SDK's exceptions."""

from __future__ import annotations

import asyncio

import pytest

from promptyard.client import AsyncClient, Client, NotFoundError, PromptyardError
from tests._server import LiveServer

CLEAN = (
    "You are a support lead. Summarise the ticket below for an engineer in at most 3 bullet "
    "points.\n<ticket>\n{{ ticket }}\n</ticket>"
)
SECRET = "ghp_" + "Qw3rTy7uI9oP" * 3


def test_client_scan_content_prompt_and_project(live_server: LiveServer) -> None:
    with Client(live_server.url, live_server.api_key) as client:
        clean = client.scan(CLEAN)
        assert clean["scope"] == "content" and clean["score"] == 100
        chat = client.scan([{"role": "system", "content": f"{CLEAN}\nToken: {SECRET}"}])
        secret = next(f for f in chat["findings"] if f["rule"] == "secret")
        assert secret["field"] == "content[0].content" and SECRET[6:] not in str(chat)

        client.create_prompt("support", type="text", content=CLEAN)
        client.update_prompt("support", content=f"{CLEAN}\nToken: {SECRET}")
        latest = client.scan(prompt="support")
        assert (latest["prompt"], latest["version"]) == ("support", 2)
        assert latest["counts"]["high"] == 1
        first = client.scan(prompt="support", version=1)
        assert (first["version"], first["score"]) == (1, 100)

        report = client.scan()
        assert report["scope"] == "project" and report["prompts"] == 1
        assert report["with_high_findings"][0]["name"] == "support"
        assert client.scan(limit=1)["truncated"] is False

        with pytest.raises(NotFoundError):
            client.scan(prompt="missing")
        with pytest.raises(PromptyardError) as bad:
            client.scan("x", type="chat")  # a chat must be a list of messages
        assert bad.value.status == 422
        with pytest.raises(ValueError):
            client.scan("x", prompt="support")


def test_async_client_scan(live_server: LiveServer) -> None:
    with Client(live_server.url, live_server.api_key) as client:
        client.create_prompt("leaky", type="text", content=f"{CLEAN}\nToken: {SECRET}")

    async def main() -> None:
        async with AsyncClient(live_server.url, live_server.api_key) as client:
            content = await client.scan(CLEAN, config={"max_tokens": 100})
            assert content["score"] == 100
            stored = await client.scan(prompt="leaky", label="latest")
            assert stored["counts"]["high"] == 1
            report = await client.scan()
            assert report["prompts"] == 1
            with pytest.raises(NotFoundError):
                await client.scan(prompt="missing")

    asyncio.run(main())
