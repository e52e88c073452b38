"""An httpx transport for SDK tests: counts requests, can play a server that is down, and
can hold requests until a test lets them go."""

from __future__ import annotations

import threading

import httpx


class Recorder(httpx.BaseTransport):
    """Passes requests to the real server, recording them; ``down`` refuses them all."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []
        self.statuses: list[int] = []
        self.down = False
        #: When set, requests wait until it is opened (``gate.set()``).
        self.gate: threading.Event | None = None
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
        gate = self.gate
        if gate is not None:
            gate.wait(10)
        if self.down:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        response = self._inner.handle_request(request)
        with self._lock:
            self.statuses.append(response.status_code)
        return response

    def prompt_reads(self, name: str) -> list[httpx.Request]:
        with self._lock:
            return [r for r in self.requests if r.url.path.endswith(f"/prompts/{name}")]

    def close(self) -> None:
        self._inner.close()


class AsyncRecorder(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []
        self.down = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return await self._inner.handle_async_request(request)

    def prompt_reads(self, name: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith(f"/prompts/{name}")]

    async def aclose(self) -> None:
        await self._inner.aclose()


class FakeClock:
    """Seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
