"""The render pool on its own: admission, waiting for a worker, one deadline, cancellation."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import time
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from promptyard.domain.errors import Overloaded, RenderCancelled, TemplateLimitExceeded
from promptyard.domain.templates import Deadline
from promptyard.server.app import create_app
from promptyard.server.permissions import iter_app_routes
from promptyard.server.render_pool import RENDER_PATHS, RenderPool, get_render_pool
from promptyard.services.context import Core

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a thread of its own: the browser tests leave a loop running here."""
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


def busy(*, deadline: Deadline) -> str:
    """A render that works until its deadline stops it."""
    while True:
        deadline.check()
        time.sleep(0.005)


def overrun(*, deadline: Deadline) -> str:
    """A render that checks its deadline only after 0.5 s of work."""
    time.sleep(0.5)
    deadline.check()
    return "done"


def quick(*, deadline: Deadline) -> float:
    return deadline.remaining()


@pytest.fixture
def pool() -> Iterator[RenderPool]:
    pool = RenderPool(workers=1, queue=1, timeout=0.3)
    yield pool
    pool.shutdown()


def test_beyond_capacity_a_render_is_refused_at_once(pool: RenderPool) -> None:
    async def main() -> tuple[object, ...]:
        first = asyncio.create_task(pool.run(None, overrun))
        second = asyncio.create_task(pool.run(None, quick))
        await asyncio.sleep(0)
        with pytest.raises(Overloaded) as info:
            await pool.run(None, quick)
        # At once: while both admitted renders are still pending (the first runs 0.5 s,
        # the second waits up to the 0.3 s timeout), not after waiting for a place.
        assert not first.done() and not second.done()
        assert info.value.details == {"retry_after": 1, "capacity": 2}
        assert info.value.status == 503
        return await asyncio.gather(first, second, return_exceptions=True)

    first, second = _run(main())
    assert isinstance(first, TemplateLimitExceeded)
    # the second waited longer than the timeout for the only worker: refused, not run
    assert isinstance(second, Overloaded)
    _wait_until_idle(pool)  # the worker skips the abandoned render
    stats = pool.stats()
    assert stats["refused"] == 2
    assert stats["saturated"] is False


def _wait_until_idle(pool: RenderPool) -> None:
    started = time.monotonic()
    while pool.stats()["running"] or pool.stats()["queued"]:
        assert time.monotonic() - started < 2, pool.stats()
        time.sleep(0.005)


def test_the_deadline_starts_when_a_worker_picks_the_render_up() -> None:
    pool = RenderPool(workers=1, queue=1, timeout=1.0)

    def short(*, deadline: Deadline) -> str:
        time.sleep(0.3)
        return "done"

    async def main() -> tuple[object, ...]:
        return await asyncio.gather(pool.run(None, short), pool.run(None, quick))

    try:
        done, remaining = _run(main())
    finally:
        pool.shutdown()
    assert done == "done"
    assert isinstance(remaining, float) and remaining > 0.9  # not 1.0 - 0.3


def test_a_render_whose_caller_is_cancelled_stops(pool: RenderPool) -> None:
    async def main() -> None:
        task = asyncio.create_task(pool.run(None, busy))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    _run(main())
    started = time.monotonic()
    while pool.stats()["running"]:
        assert time.monotonic() - started < 0.2, "the render did not stop"
        time.sleep(0.005)
    assert pool.stats()["cancelled"] == 1


def test_a_render_cancelled_while_waiting_never_runs() -> None:
    pool = RenderPool(workers=1, queue=1, timeout=5)
    ran: list[bool] = []

    def record(*, deadline: Deadline) -> None:
        ran.append(True)

    def brief(*, deadline: Deadline) -> None:
        time.sleep(0.2)

    async def main() -> object:
        first = asyncio.create_task(pool.run(None, brief))
        waiting = asyncio.create_task(pool.run(None, record))
        await asyncio.sleep(0.05)
        waiting.cancel()
        await first
        return await asyncio.gather(waiting, return_exceptions=True)

    try:
        _run(main())
        _wait_until_idle(pool)
    finally:
        pool.shutdown()
    assert ran == []
    assert pool.stats()["cancelled"] == 1


def test_a_cancelled_deadline_says_so() -> None:
    deadline = Deadline(60)
    deadline.check()
    deadline.cancel()
    with pytest.raises(RenderCancelled) as info:
        deadline.check()
    assert info.value.status == 499


def _calls(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def test_the_door_check_knows_exactly_the_routes_that_render(core: Core) -> None:
    app = create_app(core, static_dir=None)
    rendering = set()
    for method, path, context in iter_app_routes(app.routes):
        route = context.original_route
        uses_pool = isinstance(route, APIRoute) and get_render_pool in set(_calls(route.dependant))
        if uses_pool:
            rendering.add((method, path))
        sample = re.sub(r"\{[^}]+\}", "x", path)
        assert bool(RENDER_PATHS.fullmatch(sample)) == uses_pool, path
    assert rendering == {
        ("POST", "/api/v1/prompts/{name}/render"),
        ("POST", "/api/v1/templates/render"),
        ("POST", "/api/v1/prompts/execute"),
    }
