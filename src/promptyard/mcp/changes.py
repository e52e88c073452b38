"""``notifications/prompts/list_changed``: watch what each connected client may read.

Every connected session registers under its source's ``watch_key`` (the project it
reads). :meth:`ChangeHub.run` compares one cheap fingerprint per key every
``interval`` seconds and sends the notification to that key's sessions when it
changes. One poll serves every session of a project, however many are connected.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio

from promptyard.mcp.source import PromptSource

log = logging.getLogger("promptyard.mcp")

DEFAULT_INTERVAL = 2.0


class ChangeWatcher(Protocol):
    """What the MCP server tells when a session is ready for notifications."""

    async def register(self, key: Hashable, source: PromptSource, session: Any) -> None: ...


@dataclass
class _Watch:
    source: PromptSource
    fingerprint: str | None
    sessions: list[Any] = field(default_factory=list)


class ChangeHub:
    """Sessions by watch key, and the loop that tells them when prompts change."""

    def __init__(self, interval: float = DEFAULT_INTERVAL) -> None:
        self.interval = interval
        self._watches: dict[Hashable, _Watch] = {}

    def sessions(self) -> int:
        return sum(len(watch.sessions) for watch in self._watches.values())

    async def register(self, key: Hashable, source: PromptSource, session: Any) -> None:
        """Watch ``key`` for ``session`` (a ``ServerSession``: its standalone channel)."""
        watch = self._watches.get(key)
        if watch is None:
            try:
                fingerprint: str | None = await source.fingerprint()
            except Exception:  # the next poll retries; a watch must not fail a handshake
                log.warning("MCP change watch: first fingerprint failed", exc_info=True)
                fingerprint = None
            watch = self._watches.setdefault(key, _Watch(source, fingerprint))
        if session not in watch.sessions:
            watch.sessions.append(session)

    async def poll_once(self) -> int:
        """Compare every watched key's fingerprint once; the number of sessions notified."""
        notified = 0
        for key, watch in list(self._watches.items()):
            try:
                current = await watch.source.fingerprint()
            except Exception:
                log.warning("MCP change watch: fingerprint failed", exc_info=True)
                continue
            if watch.fingerprint is None:
                watch.fingerprint = current
                continue
            if current == watch.fingerprint:
                continue
            watch.fingerprint = current
            for session in list(watch.sessions):
                try:
                    await session.send_prompt_list_changed()
                    notified += 1
                except Exception:  # the client went away: forget its session
                    watch.sessions.remove(session)
            if not watch.sessions:
                del self._watches[key]
        return notified

    async def run(self) -> None:
        """Poll forever (cancel the surrounding task group to stop)."""
        while True:
            await anyio.sleep(self.interval)
            await self.poll_once()
