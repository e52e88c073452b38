"""Template renders run here: a bounded pool of threads, off the event loop.

A render is CPU work in the sandbox, bounded by its request's
:class:`~promptyard.domain.templates.Deadline` (``render_timeout_seconds``). Renders run
in a dedicated pool of ``render_workers`` threads, never in the event loop nor in the
thread pool that serves the other routes, so health checks and prompt reads keep
answering however many heavy renders arrive:

- at most ``render_workers + render_queue`` renders are admitted at once; one more is
  answered at once with 503 ``overloaded`` and ``Retry-After`` instead of queueing;
- a render that waited ``render_timeout_seconds`` for a worker is refused the same way,
  so a request never waits more than one timeout for a worker plus one for its render;
- the deadline starts when a worker picks the render up, and covers the whole request
  (every message of a chat prompt, every reference, loop step, call and output piece);
- while the render runs, the route watches its client: when the connection closes, the
  deadline is cancelled and the render stops at its next check, freeing the worker.

``/readyz`` reports the pool's load (:meth:`RenderPool.stats`) and answers 503 while
every slot is taken. While the pool is saturated, :class:`RenderAdmission` refuses render
requests at the door, before their body is read or their caller authenticated, so a
flood of them costs the event loop next to nothing.

Render threads hold the GIL while they work. With CPython's default switch interval
(5 ms) the event loop waits up to that long each time it wants to run again, several
times per request; :meth:`RenderPool.start` shortens it while the server runs.
"""

from __future__ import annotations

import asyncio
import math
import re
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from promptyard.domain.errors import Overloaded, RenderCancelled
from promptyard.domain.templates import Deadline
from promptyard.server.errors import error_body
from promptyard.server.middleware import send_json

T = TypeVar("T")

#: How often a waiting route asks whether its client is still connected.
POLL_SECONDS = 0.05
#: The GIL switch interval while the server runs (CPython's default is 5 ms).
SWITCH_INTERVAL = 0.0005
#: The routes that render in the pool (tests/server/test_render_pool.py keeps it exact).
RENDER_PATHS = re.compile(r"/api/v1/(?:prompts/[^/]+/render|templates/render|prompts/execute)")


class RenderPool:
    """Runs ``fn(*args, deadline=..., **kwargs)`` in a bounded thread pool."""

    def __init__(self, *, workers: int, queue: int, timeout: float) -> None:
        self.workers = max(1, workers)
        self.capacity = self.workers + max(0, queue)
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="promptyard-render")
        self._lock = threading.Lock()
        self._admitted = 0
        self._running = 0
        self._refused = 0
        self._cancelled = 0
        self._switch_interval: float | None = None

    @property
    def retry_after(self) -> int:
        """Seconds after which a slot is likely free: one render's budget."""
        return max(1, math.ceil(self.timeout))

    @property
    def saturated(self) -> bool:
        return self._admitted >= self.capacity

    def stats(self) -> dict[str, Any]:
        """Load now, and totals since start (refused: 503 answers; cancelled: clients gone)."""
        with self._lock:
            return {
                "workers": self.workers,
                "capacity": self.capacity,
                "running": self._running,
                "queued": self._admitted - self._running,
                "saturated": self._admitted >= self.capacity,
                "refused": self._refused,
                "cancelled": self._cancelled,
            }

    async def run(
        self, request: Request | None, fn: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T:
        """Run ``fn`` with a fresh deadline in the pool; cancel it if the client goes away.

        Raises :class:`Overloaded` (503) when the pool is full or no worker was free within
        the timeout, :class:`RenderCancelled` when the client disconnected.
        """
        with self._lock:
            if self._admitted >= self.capacity:
                self._refused += 1
                raise self._overloaded("every render worker is busy and the queue is full")
            self._admitted += 1
        job = _Job(Deadline(self.timeout))
        try:
            future: Future[T] = self._executor.submit(self._call, job, fn, args, kwargs)
        except RuntimeError:  # shutting down
            self._release(running=False)
            raise self._overloaded("the server is shutting down") from None
        waiting = asyncio.wrap_future(future)
        try:
            while True:
                done, _pending = await asyncio.wait({waiting}, timeout=POLL_SECONDS)
                if done:
                    return waiting.result()
                if time.monotonic() - job.queued_at > self.timeout and self._abandon(job):
                    with self._lock:
                        self._refused += 1
                    raise self._overloaded(f"no render worker was free within {self.timeout:g} s")
                if (
                    request is not None
                    and not job.deadline.cancelled
                    and await request.is_disconnected()
                ):
                    self._cancel(job.deadline)
                    if self._abandon(job):  # not started yet: no need to wait for a worker
                        raise RenderCancelled("the render was cancelled: the client went away")
        finally:
            if not future.done():
                if job.state != "abandoned":  # this coroutine was cancelled: stop the render
                    self._cancel(job.deadline)
                waiting.add_done_callback(_consume)

    def start(self) -> None:
        """Shorten the GIL switch interval, so the event loop gets back in quickly."""
        if self._switch_interval is None:
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._switch_interval, SWITCH_INTERVAL))

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None

    def refuse(self) -> Overloaded:
        """Count a request refused before it reached the pool; the error to answer."""
        with self._lock:
            self._refused += 1
        return self._overloaded("every render worker is busy and the queue is full")

    # ---- internals

    def _call(
        self, job: _Job, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> T:
        with self._lock:
            abandoned = job.state == "abandoned"
            if not abandoned:
                job.state = "running"
                self._running += 1
        if abandoned:  # its request was already answered: skip it
            self._release(running=False)
            raise RenderCancelled("the render was abandoned: no worker was free in time")
        try:
            if job.deadline.cancelled:
                raise RenderCancelled("the render was cancelled: the client went away")
            job.deadline.restart()
            return fn(*args, deadline=job.deadline, **kwargs)
        finally:
            self._release(running=True)

    def _abandon(self, job: _Job) -> bool:
        """Give up on a job no worker has picked up yet (it will be skipped); False if one has."""
        with self._lock:
            if job.state != "waiting":
                return False
            job.state = "abandoned"
            return True

    def _release(self, *, running: bool) -> None:
        with self._lock:
            self._admitted -= 1
            if running:
                self._running -= 1

    def _cancel(self, deadline: Deadline) -> None:
        if not deadline.cancelled:
            deadline.cancel()
            with self._lock:
                self._cancelled += 1

    def _overloaded(self, reason: str) -> Overloaded:
        return Overloaded(
            f"too many renders at once ({reason}): try again in {self.retry_after} s",
            details={"retry_after": self.retry_after, "capacity": self.capacity},
        )


class RenderAdmission:
    """ASGI: while the pool is saturated, answer render requests 503 at once.

    No body is read and no caller authenticated: the answer says only that the server is
    busy, as ``/readyz`` does to anyone.
    """

    def __init__(self, app: ASGIApp, *, pool: RenderPool) -> None:
        self.app = app
        self.pool = pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.pool.saturated
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and RENDER_PATHS.fullmatch(scope["path"])
        ):
            error = self.pool.refuse()
            body = error_body(error.code, error.message, error.details)
            retry = [(b"retry-after", str(self.pool.retry_after).encode())]
            await send_json(send, error.status, body, retry)
            return
        await self.app(scope, receive, send)


class _Job:
    """One admitted render: its deadline, when it was queued, and where it stands."""

    __slots__ = ("deadline", "queued_at", "state")

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.queued_at = time.monotonic()
        self.state = "waiting"  # then "running", or "abandoned" if it waited too long


def _consume(future: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned render's outcome, so asyncio does not log it as lost."""
    if not future.cancelled():
        future.exception()


async def get_render_pool(request: Request) -> RenderPool:
    # async on purpose: FastAPI runs plain-def dependencies in its thread pool.
    pool: RenderPool = request.app.state.render_pool
    return pool


RenderPoolDep = Annotated[RenderPool, Depends(get_render_pool)]
