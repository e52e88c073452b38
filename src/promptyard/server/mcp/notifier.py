"""``notifications/prompts/list_changed`` on ``/mcp``, pushed from the change stream.

The server's :class:`~promptyard.services.delivery.stream.ChangeHub` (fed by the
process's change poller, the same feed as ``GET /api/v1/prompts/changes``) gets one
subscriber per project that MCP sessions read; any change of that project (a version,
a label move, a deletion) sends the notification to those sessions. Nothing polls the
database for MCP: the work is one queue per watched project.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

import anyio
import anyio.abc

from promptyard.mcp.source import PromptSource
from promptyard.services.delivery.stream import ChangeHub

log = logging.getLogger("promptyard.server.mcp")


class StreamNotifier:
    """MCP sessions by project, each project followed on the change hub."""

    def __init__(self, changes: ChangeHub) -> None:
        self.changes = changes
        self._sessions: dict[int, list[Any]] = {}
        self._tasks: anyio.abc.TaskGroup | None = None

    def bind(self, tasks: anyio.abc.TaskGroup) -> None:
        """Where the followers run (the endpoint's task group, for the app's lifetime)."""
        self._tasks = tasks

    def reset(self) -> None:
        """Forget every session (the endpoint stopped; its followers were cancelled)."""
        self._sessions.clear()
        self._tasks = None

    def sessions(self) -> int:
        return sum(len(sessions) for sessions in self._sessions.values())

    async def register(self, key: Hashable, source: PromptSource, session: Any) -> None:
        project_id = getattr(source, "project_id", None)
        if not isinstance(project_id, int) or self._tasks is None:
            return
        sessions = self._sessions.get(project_id)
        if sessions is None:
            sessions = self._sessions[project_id] = []
            self._tasks.start_soon(self._follow, project_id)
        if session not in sessions:
            sessions.append(session)

    async def _notify(self, project_id: int) -> None:
        sessions = self._sessions.get(project_id, [])
        for session in list(sessions):
            try:
                await session.send_prompt_list_changed()
            except Exception:  # the client went away: forget its session
                sessions.remove(session)

    async def _follow(self, project_id: int) -> None:
        while self._sessions.get(project_id):
            subscriber = self.changes.subscribe(frozenset({project_id}))
            try:
                while self._sessions.get(project_id):
                    item = await subscriber.queue.get()
                    if item == "dropped":
                        break  # fell behind: subscribe again, and say something changed
                    if isinstance(item, list) or item == "reset":
                        await self._notify(project_id)
            finally:
                self.changes.unsubscribe(subscriber)
            await self._notify(project_id)
        self._sessions.pop(project_id, None)
