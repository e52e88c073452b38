"""A change-stream client for tests: reads server-sent events in a thread."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson


@dataclass
class Event:
    event: str
    data: str
    id: str | None = None
    lines: list[str] = field(default_factory=list)

    @property
    def json(self) -> Any:
        return orjson.loads(self.data)


class Watcher:
    """``GET /api/v1/prompts/changes`` in a thread; events (and ``: ping`` comments, as
    ``Event("ping", "")``) arrive in :attr:`events`."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.events: queue.Queue[Event] = queue.Queue()
        self.status: int | None = None
        self.content_type: str | None = None
        self.closed = threading.Event()
        self._stop = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(5.0, read=30.0))
        self._args = (
            f"{url}/api/v1/prompts/changes",
            params or {},
            {"Authorization": f"Bearer {token}", **(headers or {})},
        )
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._connected.wait(10)

    def _run(self) -> None:
        url, params, headers = self._args
        try:
            with self._client.stream("GET", url, params=params, headers=headers) as response:
                self.status = response.status_code
                self.content_type = response.headers.get("content-type")
                self._connected.set()
                lines: list[str] = []
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line == "":
                        if lines:
                            self.events.put(_parse(lines))
                        lines = []
                    elif line.startswith(":"):
                        self.events.put(Event("ping", line, lines=[line]))
                    else:
                        lines.append(line)
        except (httpx.HTTPError, RuntimeError):
            pass
        finally:
            self._connected.set()
            self.closed.set()

    def next(self, timeout: float = 5.0, *, skip_pings: bool = True) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no event")
            event = self.events.get(timeout=left)
            if event.event != "ping" or not skip_pings:
                return event

    def until(self, match: Callable[[Event], bool], timeout: float = 5.0) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(deadline - time.monotonic(), 0.001))
            if match(event):
                return event

    def drain(self, wait: float = 0.5) -> list[Event]:
        """Every non-ping event that arrives within ``wait`` seconds."""
        found = []
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            if event.event != "ping":
                found.append(event)
        return found

    def close(self) -> None:
        self._stop.set()
        self._client.close()
        self._thread.join(timeout=5)


def _parse(lines: list[str]) -> Event:
    fields: dict[str, str] = {}
    for line in lines:
        key, _, value = line.partition(": ")
        fields[key] = value
    return Event(fields.get("event", "message"), fields.get("data", ""), fields.get("id"), lines)
