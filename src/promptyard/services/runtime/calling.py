"""The one place a model provider is called: limits, timeouts, retries, cancellation.

:func:`call` answers a whole :class:`ChatResult`; :func:`stream` yields
:class:`TextDelta` events and one :class:`Finished`. Around every attempt:

- **Concurrency**: at most ``connection.max_concurrency`` calls in flight per connection
  (keyed by its id, kind and base URL) in this process's event loop; a call waits for a
  slot at most ``policy.max_queue_wait`` seconds, then fails (retryable, no upstream
  call made).
- **Timeout**: ``connection.timeout_seconds`` bounds a whole :func:`call` attempt, and a
  stream's wait for each next event (first token included).
- **Retries**: a retryable :class:`ProviderError` (429, 5xx, connection errors,
  timeouts) is retried up to ``policy.attempts`` attempts in all, waiting a full-jitter
  exponential backoff (``uniform(0, min(cap, base * 2**n))``) and never less than the
  provider's ``retry_after``; a ``retry_after`` above ``policy.max_retry_after`` is not
  waited for: the error is raised at once. A stream is retried only until it has yielded
  text: after that, a failure is raised (the caller already has part of the output).
- **Cancellation**: cancelling the calling task propagates :class:`asyncio.CancelledError`
  and closes the provider's stream, which closes the upstream HTTP request.

Providers raise :class:`ProviderError` and never retry; anything else a provider raises
is a bug in it and is reported as a non-retryable :class:`ProviderError`. No FastAPI, no
database here.
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

from promptyard.plugins.api import (
    ChatRequest,
    ChatResult,
    Finished,
    Provider,
    ProviderConnection,
    ProviderError,
    StreamEvent,
    TextDelta,
)

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``attempts`` counts the first call (1 = never retry)."""

    attempts: int = 3
    #: Backoff base and cap in seconds: attempt n waits ``uniform(0, min(cap, base * 2**n))``.
    base: float = 0.5
    cap: float = 8.0
    #: The longest ``Retry-After`` honoured; a provider asking for more fails at once.
    max_retry_after: float = 30.0
    #: The longest wait for a free slot under the connection's concurrency limit.
    max_queue_wait: float = 30.0


DEFAULT_POLICY = RetryPolicy()


def backoff_delay(
    policy: RetryPolicy, retry: int, retry_after: float | None, rng: random.Random | None = None
) -> float | None:
    """Seconds to wait before retry number ``retry`` (0-based), or ``None``: do not retry
    (the provider asked for a longer wait than ``policy.max_retry_after``)."""
    if retry_after is not None and retry_after > policy.max_retry_after:
        return None
    jitter = (rng or random).uniform(0.0, min(policy.cap, policy.base * (2**retry)))
    return max(jitter, retry_after or 0.0)


# --- the concurrency limiter -----------------------------------------------------------


class ConcurrencyLimiter:
    """One :class:`asyncio.Semaphore` per connection (id, kind, base URL), sized by the
    connection's ``max_concurrency``; a changed limit starts a new semaphore."""

    def __init__(self) -> None:
        self._semaphores: dict[tuple[Any, ...], tuple[int, asyncio.Semaphore]] = {}

    @staticmethod
    def key(connection: ProviderConnection) -> tuple[Any, ...]:
        return (connection.id or connection.name, connection.kind, connection.base_url)

    def in_use(self, connection: ProviderConnection) -> int:
        """Calls holding a slot on ``connection`` now (0 without a limit)."""
        found = self._semaphores.get(self.key(connection))
        if found is None:
            return 0
        limit, semaphore = found
        return limit - semaphore._value

    @asynccontextmanager
    async def slot(self, connection: ProviderConnection, *, wait: float) -> AsyncIterator[None]:
        limit = connection.max_concurrency
        if not limit or limit <= 0:
            yield
            return
        key = self.key(connection)
        found = self._semaphores.get(key)
        if found is None or found[0] != limit:
            found = self._semaphores[key] = (limit, asyncio.Semaphore(limit))
        semaphore = found[1]
        try:
            async with asyncio.timeout(wait):
                await semaphore.acquire()
        except TimeoutError:
            raise ProviderError(
                f"connection {connection.name!r} is at its concurrency limit ({limit}); "
                f"no slot freed within {wait:g} s",
                retryable=True,
            ) from None
        try:
            yield
        finally:
            semaphore.release()


_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ConcurrencyLimiter] = (
    weakref.WeakKeyDictionary()
)


def loop_limiter() -> ConcurrencyLimiter:
    """The running event loop's limiter (semaphores belong to one loop): what
    :func:`call` and :func:`stream` use unless given one."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = ConcurrencyLimiter()
    return limiter


# --- calling ---------------------------------------------------------------------------


def _unexpected(provider: Provider, exc: Exception) -> ProviderError:
    log.error("provider kind %r failed unexpectedly", provider.kind, exc_info=exc)
    return ProviderError(
        f"the {provider.kind!r} provider failed unexpectedly: {type(exc).__name__}: {exc}"
    )


def _timed_out(connection: ProviderConnection, what: str) -> ProviderError:
    return ProviderError(
        f"connection {connection.name!r}: no {what} within {connection.timeout_seconds:g} s",
        retryable=True,
    )


async def _wait_before_retry(
    exc: ProviderError, retry: int, policy: RetryPolicy, sleep: Sleep, rng: random.Random | None
) -> None:
    """Sleep before retry ``retry``, or raise ``exc`` when there is none to make."""
    if not exc.retryable or retry + 1 >= policy.attempts:
        raise exc
    delay = backoff_delay(policy, retry, exc.retry_after, rng)
    if delay is None:
        raise exc
    log.info("retrying a provider call in %.3f s after: %s", delay, exc.message)
    await sleep(delay)


async def call(
    provider: Provider,
    connection: ProviderConnection,
    request: ChatRequest,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    limiter: ConcurrencyLimiter | None = None,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
) -> ChatResult:
    """The whole answer, with retries; raises :class:`ProviderError` when it fails."""
    limiter = limiter or loop_limiter()
    retry = 0
    while True:
        try:
            async with limiter.slot(connection, wait=policy.max_queue_wait):
                try:
                    async with asyncio.timeout(connection.timeout_seconds):
                        return await provider.complete(connection, request)
                except TimeoutError:
                    raise _timed_out(connection, "answer") from None
        except ProviderError as exc:
            await _wait_before_retry(exc, retry, policy, sleep, rng)
        except Exception as exc:
            raise _unexpected(provider, exc) from exc
        retry += 1


async def stream(
    provider: Provider,
    connection: ProviderConnection,
    request: ChatRequest,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    limiter: ConcurrencyLimiter | None = None,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
) -> AsyncIterator[StreamEvent]:
    """:class:`TextDelta` events, then one :class:`Finished`; raises
    :class:`ProviderError`. Close it (``aclose()``, or leave an ``aclosing`` block) to
    stop early: the upstream request is closed with it."""
    limiter = limiter or loop_limiter()
    retry = 0
    while True:
        sent_text = False
        try:
            async with (
                limiter.slot(connection, wait=policy.max_queue_wait),
                aclosing(
                    cast(AsyncGenerator[StreamEvent, None], provider.stream(connection, request))
                ) as events,
            ):
                while True:
                    try:
                        async with asyncio.timeout(connection.timeout_seconds):
                            event = await anext(events)
                    except StopAsyncIteration:
                        raise ProviderError(
                            f"connection {connection.name!r}: the stream ended without "
                            "a final result",
                            retryable=not sent_text,
                        ) from None
                    except TimeoutError:
                        raise _timed_out(connection, "stream event") from None
                    if isinstance(event, TextDelta):
                        if event.text:
                            sent_text = True
                            yield event
                    elif isinstance(event, Finished):
                        yield event
                        return
        except ProviderError as exc:
            if sent_text:
                raise
            await _wait_before_retry(exc, retry, policy, sleep, rng)
        except Exception as exc:
            raise _unexpected(provider, exc) from exc
        retry += 1
