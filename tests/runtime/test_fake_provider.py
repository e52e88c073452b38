"""The built-in fake provider: deterministic answers, scripted output, error rate, streams,
and the plugin registry that offers it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from promptyard.plugins.api import (
    ChatRequest,
    Finished,
    Provider,
    ProviderConnection,
    ProviderError,
    TextDelta,
)
from promptyard.plugins.builtin.providers.fake import FakeProvider
from promptyard.plugins.hookspecs import hookimpl
from promptyard.plugins.manager import build_plugin_manager, collect_providers


def _conn(**options: Any) -> ProviderConnection:
    return ProviderConnection(name="demo", kind="fake", options=options)


def _ask(text: str, model: str = "echo", **params: Any) -> ChatRequest:
    return ChatRequest(model=model, messages=[{"role": "user", "content": text}], params=params)


def test_echo_and_upper_answer_the_last_user_message_with_counted_usage() -> None:
    fake = FakeProvider()
    result = asyncio.run(fake.complete(_conn(), _ask("Hello Ada")))
    assert result.output == "Hello Ada"
    assert result.finish_reason == "stop"
    assert result.usage.input_tokens == 3  # ceil(9 / 4)
    assert result.usage.output_tokens == 3
    upper = asyncio.run(fake.complete(_conn(), _ask("Hello Ada", model="fake/upper")))
    assert upper.output == "HELLO ADA"


def test_scripted_outputs_cycle_and_reported_usage_is_taken_as_given() -> None:
    fake = FakeProvider()
    conn = _conn(output=["one", "two"], input_tokens=11, output_tokens=7, cached_tokens=5)
    outputs = [asyncio.run(fake.complete(conn, _ask("x"))).output for _ in range(3)]
    assert outputs == ["one", "two", "one"]
    usage = asyncio.run(fake.complete(conn, _ask("x"))).usage
    assert (usage.input_tokens, usage.output_tokens, usage.cached_tokens) == (11, 7, 5)


def test_unknown_model_is_the_callers_error() -> None:
    with pytest.raises(ProviderError) as caught:
        asyncio.run(FakeProvider().complete(_conn(), _ask("x", model="gpt-9")))
    assert caught.value.caller_error and caught.value.status == 404
    assert "echo" in caught.value.message


def test_error_rate_is_deterministic_for_a_seed() -> None:
    def outcomes() -> list[bool]:
        fake = FakeProvider()
        conn = _conn(error_rate=0.5, seed=7, error_status=429, retry_after=2)
        seen = []
        for _ in range(40):
            try:
                asyncio.run(fake.complete(conn, _ask("x")))
                seen.append(True)
            except ProviderError as exc:
                assert exc.retryable and exc.status == 429 and exc.retry_after == 2
                seen.append(False)
        return seen

    first, second = outcomes(), outcomes()
    assert first == second
    assert 5 < first.count(False) < 35


def test_stream_yields_pieces_then_one_finished_with_the_whole_output() -> None:
    async def collect() -> list[Any]:
        return [
            event async for event in FakeProvider().stream(_conn(chunks=4), _ask("a b c d e f g h"))
        ]

    events = asyncio.run(collect())
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) == 4
    assert isinstance(events[-1], Finished)
    assert "".join(d.text for d in deltas) == events[-1].result.output == "a b c d e f g h"


def test_latency_option_waits_through_the_injected_sleep() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    asyncio.run(FakeProvider(sleep=sleep).complete(_conn(latency_ms=250), _ask("x")))
    assert sum(slept) == pytest.approx(0.25)
    slept.clear()
    asyncio.run(FakeProvider(sleep=sleep).complete(_conn(), _ask("x")))
    assert slept == []


def test_registry_offers_the_built_in_kinds_and_a_plugin_kind_replaces_one() -> None:
    kinds = collect_providers(build_plugin_manager(entry_points=False))
    assert {"openai", "azure_openai", "anthropic", "fake"} <= set(kinds)

    class Custom(Provider):
        kind = "fake"
        label = "Custom fake"

    class Plugin:
        @hookimpl
        def register_providers(self, register: Any) -> None:
            register(Custom())

    replaced = collect_providers(build_plugin_manager(extra=[Plugin()], entry_points=False))
    assert isinstance(replaced["fake"], Custom)
