"""``get_prompt`` for agents: compiled locally like the server renders, cached, typed errors."""

from __future__ import annotations

import threading

import httpx
import pytest

from promptyard.client import (
    ChatPrompt,
    Client,
    MissingVariablesError,
    NotFoundError,
    PromptTypeError,
    TextPrompt,
    UnauthenticatedError,
)
from tests._server import LiveServer
from tests.client._transport import FakeClock, Recorder


def _publish(client: Client, name: str, content: object, *, type: str = "text") -> None:
    client.create_prompt(name, type=type, content=content)  # type: ignore[arg-type]
    client.set_label(name, "production", 1)


def test_text_and_chat_compile_as_the_server_renders_them_with_includes(
    client: Client, sdk: Client, name: str
) -> None:
    tone = f"{name}-tone"
    _publish(client, tone, "Be {{ mood | default('kind') }}.")
    text = f'Hello {{{{ user }}}}. {{% include "prompt:{tone}@production" %}}'
    _publish(client, name, text)
    chat = [
        {
            "role": "system",
            "content": f'{{% include "prompt:{tone}@production" %}} Help {{{{ user }}}}.',
        },
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "{{ question }}"},
    ]
    _publish(client, f"{name}-chat", chat, type="chat")
    variables = {
        "user": "Ada",
        "question": "Why?",
        "history": [{"role": "assistant", "content": "Hi"}],
    }

    prompt = sdk.get_prompt(name, type="text")
    assert isinstance(prompt, TextPrompt)
    assert (prompt.name, prompt.version, prompt.is_fallback) == (name, 1, False)
    assert "production" in prompt.labels
    assert prompt.variables == ["mood", "user"]
    assert prompt.compile(user="Ada") == client.render(name, {"user": "Ada"})["rendered"]
    assert prompt.compile(user="Ada") == "Hello Ada. Be kind."

    chat_prompt = sdk.get_prompt(f"{name}-chat", type="chat")
    assert isinstance(chat_prompt, ChatPrompt)
    server = client.render(f"{name}-chat", variables, label="production")["rendered"]
    assert chat_prompt.compile(**variables) == server
    assert server[0] == {"role": "system", "content": "Be kind. Help Ada."}


def test_missing_variables_are_named(client: Client, sdk: Client, name: str) -> None:
    _publish(client, name, "{{ a }} and {{ b }} and {{ c | default('') }}")
    prompt = sdk.get_prompt(name)
    with pytest.raises(MissingVariablesError) as info:
        prompt.compile(b="x")
    assert info.value.missing == ["a"]
    assert "a" in str(info.value)
    with pytest.raises(MissingVariablesError) as both:
        prompt.compile()
    assert both.value.missing == ["a", "b"]


def test_a_chat_prompt_asked_for_as_text_is_a_typed_error(
    client: Client, sdk: Client, name: str
) -> None:
    _publish(client, name, [{"role": "user", "content": "hi"}], type="chat")
    with pytest.raises(PromptTypeError) as info:
        sdk.get_prompt(name, type="text")
    assert (info.value.details["expected"], info.value.details["actual"]) == ("text", "chat")
    assert isinstance(info.value, TypeError)


def test_a_label_entry_is_served_stale_and_refreshed_once_in_the_background(
    client: Client, sdk: Client, recorder: Recorder, clock: FakeClock, name: str
) -> None:
    _publish(client, name, "v1")
    assert sdk.get_prompt(name).compile() == "v1"
    client.update_prompt(name, content="v2")
    client.set_label(name, "production", 2)
    clock.advance(59)
    assert sdk.get_prompt(name).compile() == "v1"  # fresh: no request
    assert len(recorder.prompt_reads(name)) == 1

    clock.advance(2)  # past the TTL: served at once, one refresh for many reads
    recorder.gate = threading.Event()
    results = [sdk.get_prompt(name).compile() for _ in range(50)]
    assert results == ["v1"] * 50
    recorder.gate.set()
    assert sdk.wait_for_idle(5)
    recorder.gate = None
    reads = recorder.prompt_reads(name)
    assert len(reads) == 2
    # revalidation by the ETag of version 1's answer
    assert reads[1].headers.get("if-none-match", "").startswith('"1-')
    assert sdk.get_prompt(name).compile() == "v2"
    assert len(recorder.prompt_reads(name)) == 2


def test_a_304_keeps_the_entry_and_restarts_its_ttl(
    client: Client, sdk: Client, recorder: Recorder, clock: FakeClock, name: str
) -> None:
    _publish(client, name, "same")
    sdk.get_prompt(name)
    clock.advance(61)
    sdk.get_prompt(name)
    assert sdk.wait_for_idle(5)
    assert recorder.statuses[-1] == 304  # nothing changed: the server honours If-None-Match
    clock.advance(30)
    assert sdk.get_prompt(name).compile() == "same"
    assert len(recorder.prompt_reads(name)) == 2  # the TTL started again at the refresh


def test_a_version_is_cached_for_good(
    client: Client, sdk: Client, recorder: Recorder, clock: FakeClock, name: str
) -> None:
    _publish(client, name, "one")
    assert sdk.get_prompt(name, version=1).version == 1
    clock.advance(10**6)
    assert sdk.get_prompt(name, version=1).compile() == "one"
    assert sdk.wait_for_idle(5)
    assert len(recorder.prompt_reads(name)) == 1


def test_unauthenticated_and_not_found_are_typed_and_not_retried(
    server: LiveServer, recorder: Recorder, name: str
) -> None:
    with (
        httpx.Client(transport=recorder) as http,
        Client(server.url, "py_wrong", http_client=http) as bad,
    ):
        with pytest.raises(UnauthenticatedError) as info:
            bad.get_prompt(name, fallback="never used")
        assert info.value.status == 401
        assert len(recorder.prompt_reads(name)) == 1
    with (
        httpx.Client(transport=recorder) as http,
        Client(server.url, server.api_key, http_client=http) as good,
    ):
        with pytest.raises(NotFoundError):
            good.get_prompt(name, fallback="never used")
        assert len(recorder.prompt_reads(name)) == 2


def test_prefetch_warms_the_cache(
    client: Client, sdk: Client, recorder: Recorder, name: str
) -> None:
    _publish(client, name, "a")
    _publish(client, f"{name}-b", "b")
    warmed = sdk.prefetch([name, f"{name}-b@v1", (name, "production")])
    assert [p.compile() for p in warmed] == ["a", "b", "a"]
    before = len(recorder.requests)
    assert sdk.get_prompt(f"{name}-b", version=1).compile() == "b"
    assert sdk.get_prompt(name).compile() == "a"
    assert len(recorder.requests) == before
    with pytest.raises(NotFoundError):
        sdk.prefetch([f"{name}-missing"])


def test_many_threads_share_one_client(
    client: Client, sdk: Client, clock: FakeClock, name: str
) -> None:
    _publish(client, name, "Hi {{ who }}")
    errors: list[BaseException] = []
    seen: set[str] = set()

    def work(index: int) -> None:
        try:
            for step in range(300):
                if step % 100 == 0 and index == 0:
                    clock.advance(61)  # refreshes happen under the readers
                seen.add(sdk.get_prompt(name).compile(who=str(index % 2)))
                sdk.get_prompt(name, version=1)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sdk.wait_for_idle(10)
    assert errors == []
    assert seen == {"Hi 0", "Hi 1"}
