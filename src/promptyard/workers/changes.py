"""The change poller: one thread per server process, reading new changes every ~200 ms.

It is not a :class:`~promptyard.workers.runner.Job` of the :class:`Runner`, on purpose:
the runner runs where ``PROMPTYARD_WEBHOOK_WORKER`` is on (one process of several), its
jobs share one thread (a webhook delivery may take seconds), and it backs failures off
exponentially. The poller must run in every process, every ~200 ms, whatever the other
jobs do, because it is what makes a write in one process visible in all the others: it
drops their stale caches (:func:`promptyard.services.delivery.changes.invalidate`) and
feeds their change-stream subscribers (:class:`~promptyard.services.delivery.stream.ChangeHub`).

It reads one indexed range of the audit chain per tick (``seq > last``): nothing is
added to the write path. Tests call :meth:`ChangePoller.step` instead of waiting.
"""

from __future__ import annotations

import logging
import threading

from promptyard.services.context import Core
from promptyard.services.delivery import changes
from promptyard.services.delivery.stream import ChangeHub

log = logging.getLogger("promptyard.workers.changes")


class ChangePoller:
    def __init__(self, core: Core, hub: ChangeHub, *, interval: float | None = None) -> None:
        self.core = core
        self.hub = hub
        self.interval = interval if interval is not None else core.settings.change_poll_seconds
        self.cursor = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._store: changes.Store | None = None

    @property
    def store(self) -> changes.Store:
        if self._store is None:
            self._store = changes.reader_store(self.core)
        return self._store

    def prime(self) -> int:
        """Start from the newest change: what came before is already in every cache."""
        self.cursor = changes.head(self.core, store=self.store)
        return self.cursor

    def step(self) -> int:
        """Read what changed since the last step, drop stale caches, feed the hub; how
        many events were read."""
        with self._lock:
            head = changes.head(self.core, store=self.store)
            if head < self.cursor:
                # The chain went back (the database was restored or emptied): every
                # cache and every subscriber's position is wrong.
                self.cursor = head
                self.core.cache.clear()
                self.core.actors.clear()
                self.hub.feed([], head, recheck=False, reset=True)
                return 0
            read = 0
            while self.cursor < head:
                batch = changes.read_after(self.core, self.cursor, upto=head, store=self.store)
                if batch.last == self.cursor:
                    break
                changes.invalidate(self.core, batch)
                read += batch.last - self.cursor
                self.cursor = batch.last
                self.hub.feed(batch.changes, batch.last, recheck=batch.actors, reset=False)
            return read

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="promptyard-changes", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._store is not None and self._store is not self.core.store:
            self._store.dispose()
            self._store = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.step()
                self.failures = 0
            except Exception:  # the database is away: keep trying, log once per outage
                self.failures += 1
                if self.failures == 1:
                    log.exception("reading changes failed; retrying every %.1f s", self.interval)

    def health(self) -> dict[str, object]:
        return {"cursor": self.cursor, "failures": self.failures}
