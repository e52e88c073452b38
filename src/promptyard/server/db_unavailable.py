"""The database away: answer ``503 database_unavailable`` with ``Retry-After`` at once.

When a request fails because the database cannot be reached (connection refused, the
database dropped or renamed, the server gone mid-query, a SQLite file that cannot be
opened, the write lock held past the busy timeout), :class:`DatabaseUnavailableMiddleware`
answers ``503`` with ``Retry-After: 5`` and a message saying so, instead of a ``500``.
It sits inside :class:`~promptyard.server.middleware.UnhandledErrorMiddleware` and
around the request edge, so failures while authenticating a caller are answered the same
way as failures in a route.

Nothing needs restarting when the database returns: PostgreSQL connections are checked
before use (``pool_pre_ping``) and broken ones replaced, so the first request after the
database is back succeeds. The outage is logged once when it starts and once when it
ends, not per request. ``/readyz`` says why it is not ready with :func:`describe`.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import exc as sa_exc
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptyard.server.errors import error_body
from promptyard.server.middleware import send_json

log = logging.getLogger("promptyard.server")

RETRY_AFTER_SECONDS = 5
_UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
_REASONS = (
    ("does not exist", "the database does not exist (dropped or renamed?)"),
    ("connection refused", "connection refused (is the database server running?)"),
    ("timeout expired", "connecting timed out"),
    ("timed out", "connecting timed out"),
    ("server closed the connection", "the database server closed the connection"),
    ("terminating connection", "the database server is shutting down"),
    ("the database system is", "the database server is starting up or shutting down"),
    ("unable to open database file", "the SQLite database file cannot be opened"),
    ("database is locked", "the database is locked (busy) past the busy timeout"),
    ("too many clients", "the database server has too many connections"),
    ("password authentication failed", "the database refused the credentials"),
)


def unavailable_error(exc: BaseException) -> BaseException | None:
    """The database connection error behind ``exc`` (itself, a cause, or one of a
    group), or None when ``exc`` is something else."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, _UNAVAILABLE):
            return current
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                todo.append(linked)
    return None


def describe(exc: BaseException) -> str:
    """A short reason for a database connection error, without addresses or secrets."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    for needle, reason in _REASONS:
        if needle in text:
            return reason
    return type(getattr(exc, "orig", None) or exc).__name__


class _Outage:
    """Logs the start and the end of an outage once each (not every failed request)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down = False

    def failed(self, reason: str) -> None:
        with self._lock:
            if not self.down:
                self.down = True
                log.warning("database unavailable (%s): answering 503 until it is back", reason)

    def succeeded(self) -> None:
        if self.down:
            with self._lock:
                if self.down:
                    self.down = False
                    log.warning("database reachable again")


class DatabaseUnavailableMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.outage = _Outage()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            cause = unavailable_error(exc)
            if started or cause is None:
                raise
            reason = describe(cause)
            self.outage.failed(reason)
            body = error_body(
                "database_unavailable",
                f"the database is unavailable ({reason}); try again in a few seconds",
                {"retry_after": RETRY_AFTER_SECONDS},
            )
            await send_json(
                send,
                503,
                body,
                [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())],
            )
            return
        self.outage.succeeded()
