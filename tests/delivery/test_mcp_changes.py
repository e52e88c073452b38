"""The polling change hub of ``promptyard mcp``, with a fake source and fake sessions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio

from promptyard.mcp.changes import ChangeHub
from promptyard.mcp.source import PromptEntry, Rendered, Selector


class FakeSource:
    def __init__(self) -> None:
        self.state = "a"

    async def fingerprint(self) -> str:
        return self.state

    async def list_prompts(self) -> list[PromptEntry]:
        return []

    async def describe(self, name: str, selector: Selector) -> PromptEntry:
        raise NotImplementedError

    async def render(self, name: str, selector: Selector, variables: dict[str, Any]) -> Rendered:
        raise NotImplementedError

    async def search(self, query: str | None, tags: Sequence[str]) -> list[dict[str, Any]]:
        return []

    async def versions(self, name: str) -> list[dict[str, Any]]:
        return []


class FakeSession:
    def __init__(self, *, broken: bool = False) -> None:
        self.broken = broken
        self.notified = 0

    async def send_prompt_list_changed(self) -> None:
        if self.broken:
            raise anyio.BrokenResourceError
        self.notified += 1


def test_a_change_notifies_each_session_once_and_forgets_gone_ones() -> None:
    async def scenario() -> None:
        hub = ChangeHub(interval=0.01)
        source = FakeSource()
        alive, gone = FakeSession(), FakeSession(broken=True)
        await hub.register("p", source, alive)
        await hub.register("p", source, alive)  # registered once
        await hub.register("p", source, gone)
        assert await hub.poll_once() == 0  # nothing changed
        source.state = "b"
        assert await hub.poll_once() == 1
        assert alive.notified == 1
        assert hub.sessions() == 1  # the broken session is forgotten
        assert await hub.poll_once() == 0

    anyio.run(scenario)


def test_sessions_of_another_key_are_not_told() -> None:
    async def scenario() -> None:
        hub = ChangeHub()
        mine, theirs = FakeSource(), FakeSource()
        me, them = FakeSession(), FakeSession()
        await hub.register("mine", mine, me)
        await hub.register("theirs", theirs, them)
        mine.state = "changed"
        await hub.poll_once()
        assert (me.notified, them.notified) == (1, 0)

    anyio.run(scenario)
