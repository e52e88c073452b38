"""A scripted HTTP server on 127.0.0.1 for the providers' wire protocols.

A raw ASGI app served by uvicorn in a thread: each test queues :class:`Reply` objects
per path and reads back what the server saw (requests, disconnects, the most requests in
flight at once). It speaks whatever JSON or server-sent events the test scripts, so the
same server stands in for OpenAI-compatible servers and for Anthropic.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from tests._server import free_port


class CutConnection(Exception):
    """Raised inside the app after part of a body: uvicorn drops the connection."""


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Server-sent events: ``(event name or None, data)``; data that is not a string is
    #: sent as JSON.
    sse: list[tuple[str | None, Any]] | None = None
    #: Send this many events, then cut the connection (no end of the chunked body).
    cut_after: int | None = None
    #: After the events (or instead of any answer), wait until the client goes away.
    hang: bool = False
    #: Seconds to wait before answering.
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


def sse_bytes(event: str | None, data: Any) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()


class WireApp:
    def __init__(self) -> None:
        self.script: dict[str, deque[Reply]] = {}
        self.requests: list[Seen] = []
        self.disconnects = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def reset(self) -> None:
        self.script.clear()
        self.requests.clear()
        self.disconnects = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def add(self, path: str, *replies: Reply) -> None:
        self.script.setdefault(path, deque()).extend(replies)

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = body.decode(errors="replace")
        path = scope["path"]
        self.requests.append(
            Seen(scope["method"], path, scope["query_string"].decode(), headers, parsed)
        )
        queue = self.script.get(path)
        reply = (
            queue.popleft() if queue else Reply(404, {"error": {"message": f"no reply for {path}"}})
        )
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._answer(reply, receive, send)
        finally:
            self.in_flight -= 1

    async def _wait_disconnect(self, receive: Any) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self.disconnects += 1

    async def _answer(self, reply: Reply, receive: Any, send: Any) -> None:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.hang and reply.sse is None:
            await self._wait_disconnect(receive)
            return
        kind = "text/event-stream" if reply.sse is not None else "application/json"
        headers = [(b"content-type", kind.encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        if reply.sse is None:
            await send({"type": "http.response.body", "body": json.dumps(reply.body).encode()})
            return
        for index, (event, data) in enumerate(reply.sse):
            if reply.cut_after is not None and index >= reply.cut_after:
                raise CutConnection("cut mid-stream, as scripted")
            await send(
                {"type": "http.response.body", "body": sse_bytes(event, data), "more_body": True}
            )
            await asyncio.sleep(0.001)
        if reply.hang:
            await self._wait_disconnect(receive)
            return
        await send({"type": "http.response.body", "body": b""})


@dataclass
class WireServer:
    app: WireApp
    url: str

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Poll ``condition`` until it holds (``False`` if it never did)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.01)
        return condition()


@contextmanager
def wire_server() -> Iterator[WireServer]:
    app = WireApp()
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="critical", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the wire server did not start")
        time.sleep(0.01)
    try:
        yield WireServer(app=app, url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
