"""The change stream's fan-out: one reader per process, many subscribers.

A :class:`ChangeHub` lives in the server's event loop. The process's one poller (a
thread, :mod:`promptyard.workers.changes`) reads each new batch of changes once and
hands it to :meth:`ChangeHub.feed`; the hub gives every subscriber the part it may see,
through a bounded queue. A subscriber that does not keep up (its queue is full) is
dropped: its stream ends, and its client reconnects with ``Last-Event-ID`` and is
replayed from the database, so a slow client costs the others nothing. A subscriber
that goes away unsubscribes in its generator's ``finally``.

:func:`events` is one subscriber's stream in the wire format of server-sent events:
``ready`` first, then ``reset`` or the replay after the client's last id, then the live
changes, with a ``: ping`` comment when idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from promptyard.services.delivery.changes import Change, visible

log = logging.getLogger("promptyard.delivery")

#: Queue items that are not changes.
_DROPPED = "dropped"  # the subscriber fell behind
_RESET = "reset"  # the event ids restarted (a restored or emptied database)
_RECHECK = "recheck"  # keys, roles or memberships changed: check the caller again
Item = list[Change] | str


@dataclass(eq=False)
class Subscriber:
    projects: frozenset[int]
    queue: asyncio.Queue[Item] = field(default_factory=lambda: asyncio.Queue(256))


class ChangeHub:
    """Subscribers of one event loop, fed by the process's poller thread."""

    def __init__(self, *, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self.subscribers: set[Subscriber] = set()
        #: The id of the last change published (only read and written in the loop).
        self.cursor = 0
        self.dropped = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self, loop: asyncio.AbstractEventLoop, cursor: int) -> None:
        self._loop, self.cursor = loop, cursor

    @property
    def attached(self) -> bool:
        return self._loop is not None

    def feed(self, changes: list[Change], last: int, *, recheck: bool, reset: bool) -> None:
        """From the poller's thread: publish in the loop (one wake-up per batch)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self.publish, changes, last, recheck, reset)

    def subscribe(self, projects: frozenset[int]) -> Subscriber:
        subscriber = Subscriber(projects, asyncio.Queue(self.queue_size))
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def publish(self, changes: list[Change], last: int, recheck: bool, reset: bool) -> None:
        self.cursor = last
        for subscriber in list(self.subscribers):
            if reset:
                self._put(subscriber, _RESET)
                continue
            mine = visible(changes, subscriber.projects) if changes else []
            if mine:
                self._put(subscriber, mine)
            if recheck:
                self._put(subscriber, _RECHECK)

    def _put(self, subscriber: Subscriber, item: Item) -> None:
        try:
            subscriber.queue.put_nowait(item)
        except asyncio.QueueFull:
            # Too slow: end its stream; the client resumes from its last id.
            self.subscribers.discard(subscriber)
            self.dropped += 1
            while not subscriber.queue.empty():
                subscriber.queue.get_nowait()
            subscriber.queue.put_nowait(_DROPPED)


def sse(event: str, data: bytes, event_id: int | None = None) -> bytes:
    head = b"id: %d\n" % event_id if event_id is not None else b""
    return head + b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"


PING = b": ping\n\n"
#: A replay reads at most this many audit events per query.
_REPLAY_PAGE = 1000


@dataclass(frozen=True)
class StreamRequest:
    """One subscriber's parameters (the projects it may read, where it resumes)."""

    projects: frozenset[int]
    after: int | None
    heartbeat: float
    replay_limit: int
    #: Close the stream after this many seconds (None: never).
    timeout: float | None = None


async def events(
    hub: ChangeHub,
    request: StreamRequest,
    *,
    head: Callable[[], Awaitable[int]],
    replay: Callable[[int, int], Awaitable[tuple[list[Change], int]]],
    still_allowed: Callable[[], Awaitable[frozenset[int] | None]],
) -> AsyncGenerator[bytes]:
    """One subscriber's server-sent events.

    ``head()`` reads the newest event id; ``replay(after, upto)`` reads the changes in
    that range (a page of them, and the id it got to); ``still_allowed()`` re-checks the
    caller after keys or roles changed (``None``: its key is gone, end the stream).

    Subscribed first, then the head read: the live queue holds every change after the
    hub's cursor, the head is at least that, and live changes up to the head (already
    replayed, or older than the client's position) are skipped, so nothing is missed or
    sent twice, and ``last_id`` is current even when the poller has not read it yet.
    """
    subscriber = hub.subscribe(request.projects)
    try:
        start = max(hub.cursor, await head())
        yield sse("ready", b'{"last_id":%d}' % start)
        after = request.after
        if after is not None and (after > start or start - after > request.replay_limit):
            yield sse("reset", b"{}", start)
        elif after is not None:
            while after < start:
                changes, after = await replay(after, start)
                for change in visible(changes, subscriber.projects):
                    yield sse("prompt", change.data, change.id)
        async for chunk in _live(subscriber, request, start, still_allowed):
            yield chunk
    finally:
        hub.unsubscribe(subscriber)


async def _live(
    subscriber: Subscriber,
    request: StreamRequest,
    start: int,
    still_allowed: Callable[[], Awaitable[frozenset[int] | None]],
) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    deadline = None if request.timeout is None else loop.time() + request.timeout
    while True:
        wait = request.heartbeat
        if deadline is not None:
            wait = min(wait, deadline - loop.time())
            if wait <= 0:
                return
        try:
            item = await asyncio.wait_for(subscriber.queue.get(), wait)
        except TimeoutError:
            if deadline is None or loop.time() < deadline:
                yield PING
            continue
        if item == _DROPPED:
            return
        if item == _RESET:
            start = 0
            yield sse("reset", b"{}", 0)
        elif item == _RECHECK:
            allowed = await still_allowed()
            if allowed is None:
                return
            subscriber.projects = subscriber.projects & allowed
        elif isinstance(item, list):
            for change in item:
                if change.id > start:  # not replayed already
                    yield sse("prompt", change.data, change.id)
