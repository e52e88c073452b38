"""The server down, slow or failing: last good copies, one warning, fallbacks, cache_dir."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from promptyard.client import Client, PromptyardConnectionError
from tests._server import LiveServer, free_port
from tests.client._transport import FakeClock, Recorder


def _publish(client: Client, name: str, content: str) -> None:
    client.create_prompt(name, content=content)
    client.set_label(name, "production", 1)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "promptyard.client" and r.levelno == logging.WARNING
    ]


def test_server_down_serves_the_last_good_copy_and_warns_once(
    client: Client,
    sdk: Client,
    recorder: Recorder,
    clock: FakeClock,
    name: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="promptyard.client")
    _publish(client, name, "one {{ x }}")
    _publish(client, f"{name}-2", "two")
    sdk.get_prompt(name)
    sdk.get_prompt(f"{name}-2")
    recorder.down = True
    for _ in range(3):
        clock.advance(61)
        assert sdk.get_prompt(name).compile(x=1) == "one 1"
        assert sdk.get_prompt(f"{name}-2").compile() == "two"
        assert sdk.wait_for_idle(5)
    # cache_ttl=0 reads the server every time, and still falls back to the copy
    assert sdk.get_prompt(name, cache_ttl=0).compile(x=2) == "one 2"
    assert len(_warnings(caplog)) == 1
    assert "serving the last good copies" in _warnings(caplog)[0]

    recorder.down = False  # back: the next refresh succeeds, a later outage warns again
    clock.advance(61)
    sdk.get_prompt(name)
    assert sdk.wait_for_idle(5)
    recorder.down = True
    clock.advance(61)
    sdk.get_prompt(name)
    assert sdk.wait_for_idle(5)
    assert len(_warnings(caplog)) == 2


def test_fallback_only_when_nothing_was_ever_fetched(
    client: Client, sdk: Client, recorder: Recorder, name: str
) -> None:
    _publish(client, name, "real {{ who }}")
    sdk.get_prompt(name)
    recorder.down = True
    served = sdk.get_prompt(name, fallback="fallback {{ who }}")
    assert not served.is_fallback
    assert served.compile(who="x") == "real x"

    never = sdk.get_prompt(f"{name}-new", fallback="fallback {{ who }}")
    assert never.is_fallback and never.version is None
    assert never.compile(who="x") == "fallback x"
    assert never.variables == ["who"]
    chat = sdk.get_prompt(f"{name}-chat", fallback=[{"role": "user", "content": "{{ q }}"}])
    assert chat.is_fallback and chat.compile(q="?") == [{"role": "user", "content": "?"}]
    with pytest.raises(PromptyardConnectionError):
        sdk.get_prompt(f"{name}-none")


def test_a_fallback_is_replaced_once_the_server_answers(
    client: Client, sdk: Client, recorder: Recorder, clock: FakeClock, name: str
) -> None:
    recorder.down = True
    assert sdk.get_prompt(name, fallback="fb").is_fallback
    _publish(client, name, "real")
    recorder.down = False
    clock.advance(6)  # past the retry delay of a failed read
    assert sdk.get_prompt(name, fallback="fb").is_fallback  # served while refreshing
    assert sdk.wait_for_idle(5)
    prompt = sdk.get_prompt(name, fallback="fb")
    assert not prompt.is_fallback and prompt.compile() == "real"


def test_cache_dir_lets_a_new_client_start_while_the_server_is_down(
    server: LiveServer, client: Client, name: str, tmp_path: Path
) -> None:
    tone = f"{name}-tone"
    _publish(client, tone, "calm")
    _publish(client, name, f'Hi {{{{ n }}}}, {{% include "prompt:{tone}@production" %}}')
    with Client(server.url, server.api_key, cache_dir=tmp_path) as first:
        first.get_prompt(name)
        first.get_prompt(name, version=1)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 2 and all(f.endswith(".json") and "/" not in f for f in files)

    closed = f"http://127.0.0.1:{free_port()}"
    with Client(closed, server.api_key, cache_dir=tmp_path, timeout=2) as restarted:
        prompt = restarted.get_prompt(name, fallback="never")
        assert not prompt.is_fallback
        assert prompt.compile(n="Ada") == "Hi Ada, calm"
        assert restarted.get_prompt(name, version=1).version == 1
        with pytest.raises(PromptyardConnectionError):
            restarted.get_prompt(f"{name}-other")


def test_a_5xx_is_an_outage_not_an_error(
    client: Client, server: LiveServer, clock: FakeClock, name: str
) -> None:
    _publish(client, name, "kept")
    failing = {"on": False}

    def handler(request: httpx.Request) -> httpx.Response:
        if failing["on"]:
            return httpx.Response(503, json={"error": {"code": "overloaded", "message": "busy"}})
        with httpx.Client() as real:
            response = real.send(request)
            response.read()
            return httpx.Response(
                response.status_code, headers=response.headers, content=response.content
            )

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as http,
        Client(server.url, server.api_key, http_client=http, clock=clock) as sdk,
    ):
        sdk.get_prompt(name)
        failing["on"] = True
        clock.advance(61)
        assert sdk.get_prompt(name).compile() == "kept"
        assert sdk.wait_for_idle(5)
        assert sdk.get_prompt(name, cache_ttl=0).compile() == "kept"
        assert sdk.get_prompt(f"{name}-x", fallback="fb").is_fallback
