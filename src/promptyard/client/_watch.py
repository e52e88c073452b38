"""``watch=True``: follow ``GET /api/v1/prompts/changes`` (server-sent events).

The stream sends ``event: ready`` (``{"last_id"}``) on connect, ``event: prompt`` for
each change (``{"id", "project", "name", "kind", "version", "label", "at"}``), ``event:
reset`` when the client must forget everything, and ``: ping`` comments as heartbeats.
Each change flags the matching cached entries (and the ones that include that prompt)
stale and has them refreshed in the background, so the next reads see it without
waiting; a reconnect sends ``Last-Event-ID``. The parser and the handling of events are
plain functions; the clients own the connection.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from promptyard.client._cache import Entry, Key, PromptCache

logger = logging.getLogger("promptyard.client")

CHANGES_PATH = "/api/v1/prompts/changes"
BACKOFF_FIRST = 0.5
BACKOFF_CAP = 30.0


@dataclass(frozen=True)
class Event:
    event: str
    data: str
    id: str | None


class SSEParser:
    """Server-sent events from lines (``text/event-stream``, WHATWG rules, minus retry)."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None
        #: The last ``id:`` seen, kept across events (for ``Last-Event-ID``).
        self.last_id: str | None = None

    def feed(self, line: str) -> Event | None:
        """One line without its end; returns an event when a blank line ends one."""
        if not line:
            if not self._data and not self._event:
                return None
            event = Event(self._event or "message", "\n".join(self._data), self._id)
            self._event, self._data, self._id = "", [], None
            return event
        if line.startswith(":"):
            return None  # a comment: heartbeat
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
            self.last_id = value
        return None

    def events(self, lines: Iterable[str]) -> Iterator[Event]:
        for line in lines:
            event = self.feed(line.rstrip("\r"))
            if event is not None:
                yield event


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before reconnect attempt ``attempt`` (1, 2, ...): full jitter, capped."""
    ceiling = min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** max(attempt - 1, 0))
    return (rng or random).uniform(ceiling / 2, ceiling)


def apply_event(cache: PromptCache, project: str, event: Event) -> list[Key]:
    """Flag what ``event`` changes; return the keys to refresh now."""
    if event.event == "reset":
        return cache.mark_stale(lambda key, entry: True)
    if event.event != "prompt":
        return []
    try:
        change: dict[str, Any] = json.loads(event.data)
    except ValueError:
        logger.warning("promptyard: ignoring a change event that is not JSON: %r", event.data)
        return []
    if change.get("project") != project:
        return []
    name = change.get("name")
    kind = change.get("kind")

    def changed(key: Key, entry: Entry) -> bool:
        if key[0] != project:
            return False
        if name in entry.included_names():
            return True
        if key[1] != name:
            return False
        if kind == "label" and change.get("label"):
            return key[2] == f"label:{change['label']}"
        # A new version moves "latest"; deletions, restores, lifecycle changes concern
        # every label. Versions are immutable, but a deleted prompt is gone.
        return key[2].startswith("label:") or kind == "deleted"

    return cache.mark_stale(changed)


def ready_id(event: Event) -> str | None:
    """The ``last_id`` of a ``ready`` event, as ``Last-Event-ID`` text."""
    try:
        value = json.loads(event.data).get("last_id")
    except (ValueError, AttributeError):
        return None
    return None if value is None else str(value)
