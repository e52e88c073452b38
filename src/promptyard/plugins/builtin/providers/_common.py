"""What the SDK-backed provider kinds share: error mapping, ``Retry-After``, client caching.

Everything here sees only :mod:`promptyard.plugins.api` types and the SDK objects handed
in; the SDKs themselves are imported lazily by the kinds, so building the plugin manager
never pays for importing them.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar

from promptyard.plugins.api import ProviderConnection, ProviderError

#: Statuses that are the caller's own mistake (unknown model, bad parameter, too large).
CALLER_STATUSES = frozenset({400, 404, 413, 422})
#: Statuses worth another attempt besides 429 and 5xx (request timeout, lock conflict).
RETRYABLE_STATUSES = frozenset({408, 409, 429})
#: Error ``type`` values a provider sends inside a 200 stream that mean "try again".
RETRYABLE_TYPES = frozenset(
    {"overloaded_error", "api_error", "rate_limit_error", "server_error", "timeout_error"}
)
CLIENT_CACHE_SIZE = 64

C = TypeVar("C")


def parse_retry_after(
    headers: Mapping[str, str] | None, *, now: float | None = None
) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000.0
        except ValueError:
            value = -1.0
        if value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer


def error_text(body: object, fallback: str) -> str:
    """The provider's own message out of an error body (OpenAI's ``{"error": {"message"}}``,
    Anthropic's ``{"type": "error", "error": {"type", "message"}}``, or a plain string)."""
    for _ in range(4):
        if isinstance(body, Mapping):
            if isinstance(body.get("message"), str) and body["message"]:
                return str(body["message"])
            if "error" in body:
                body = body["error"]
                continue
            if isinstance(body.get("detail"), str):  # FastAPI-style servers (vLLM, ...)
                return str(body["detail"])
            return fallback
        if isinstance(body, str) and body.strip():
            return body.strip()[:2000]
        return fallback
    return fallback


def error_type(body: object) -> str | None:
    """The ``type`` of an error body, wherever the provider nests it."""
    for _ in range(3):
        if not isinstance(body, Mapping):
            return None
        inner = body.get("error")
        if isinstance(inner, Mapping):
            body = inner
            continue
        kind = body.get("type")
        return kind if isinstance(kind, str) else None
    return None


def status_error(
    label: str,
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    kind: str | None = None,
) -> ProviderError:
    """A :class:`ProviderError` for an HTTP error answer (or an in-stream error event,
    which arrives with the stream's own ``200``: its error ``kind`` decides then)."""
    if status == 401 or status == 403:
        return ProviderError(
            f"{label} refused the API key (HTTP {status}): {message}", status=status
        )
    if status in RETRYABLE_STATUSES or status >= 500:
        return ProviderError(
            f"{label} (HTTP {status}): {message}",
            status=status,
            retryable=True,
            retry_after=parse_retry_after(headers),
        )
    if status < 400:  # an error event inside a stream
        return ProviderError(f"{label}: {message}", status=None, retryable=kind in RETRYABLE_TYPES)
    return ProviderError(
        f"{label} (HTTP {status}): {message}",
        status=status,
        caller_error=status in CALLER_STATUSES,
    )


def connection_error(label: str, exc: BaseException) -> ProviderError:
    detail = str(exc) or type(exc).__name__
    return ProviderError(f"{label}: connection failed: {detail}", retryable=True)


def connection_key(connection: ProviderConnection) -> tuple[Any, ...]:
    """What makes two connections the same upstream for clients and limits."""
    return (connection.id or connection.name, connection.kind, connection.base_url)


class ClientCache(Generic[C]):
    """SDK clients (each with its HTTP connection pool) reused per connection and event
    loop: an ``httpx`` pool belongs to the loop it was created on."""

    def __init__(self, factory: Callable[[ProviderConnection], C], size: int = CLIENT_CACHE_SIZE):
        self._factory = factory
        self._size = size
        self._clients: dict[tuple[Any, ...], tuple[weakref.ref[asyncio.AbstractEventLoop], C]] = {}

    def get(self, connection: ProviderConnection) -> C:
        loop = asyncio.get_running_loop()
        key = (
            connection.kind,
            connection.base_url,
            connection.api_key,
            connection.timeout_seconds,
            json.dumps(connection.options, sort_keys=True, default=str),
        )
        found = self._clients.get(key)
        if found is not None and found[0]() is loop:
            return found[1]
        self._clients.pop(key, None)
        while len(self._clients) >= self._size:
            self._clients.pop(next(iter(self._clients)))
        client = self._factory(connection)
        self._clients[key] = (weakref.ref(loop), client)
        return client


def headers_option(connection: ProviderConnection) -> dict[str, str] | None:
    """The connection's extra HTTP headers (``options.headers``)."""
    headers = connection.options.get("headers")
    if not headers:
        return None
    if not isinstance(headers, Mapping):
        raise ProviderError(f"connection {connection.name!r}: options.headers must be an object")
    return {str(k): str(v) for k, v in headers.items()}
