"""Benchmark: prompt reads while 50 worst-case renders hammer the server.

Starts ``promptyard serve`` in its own process on a fresh SQLite database, creates a
light prompt (the one that is read) and a worst-case one (a macro that calls itself
2**41 times and prints nothing: it runs until the render deadline stops it), then, from
a separate client process:

1. baseline: one client reads the light prompt sequentially, nothing else running;
2. under load: 50 clients each keep one worst-case render in flight, while one client
   reads the light prompt, one polls ``/healthz`` and one polls ``/readyz``. Twice:
   with clients that wait as ``Retry-After`` says when refused, then with clients that
   send a new render the moment the last is answered (a flood: thousands of requests
   a second, as an attacker would).

Prints read and health-check latencies (median, p99, max) for both phases, and what
the renders got (422 ``max_seconds`` after the deadline, or 503 ``overloaded`` at once).
Target (issue 15): prompt reads stay <= 50 ms p99 under 50 concurrent worst-case renders.
Run: ``.venv/bin/python bench/render_saturation.py [--seconds 10] [--renders 50]``.
The load client is a small asyncio HTTP/1.1 client on raw sockets, as in
``bench/registry_read.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

API_KEY = "py_bench_key_0123456789abcdef"
LIGHT = "You are a helpful assistant. Answer {{ question }} in a {{ tone | default('kind') }} tone."
WORST = "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"
READ = "/api/v1/prompts/light?label=production"
RENDER = "/api/v1/prompts/worst/render"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Connection:
    """One kept-alive HTTP/1.1 connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def request(
        self, method: str, path: str, body: bytes = b"", auth: bool = True
    ) -> tuple[int, bytes, float]:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if auth:
            head += f"Authorization: Bearer {API_KEY}\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        started = time.perf_counter()
        self.writer.write(head.encode() + b"\r\n" + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in raw.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        payload = await self.reader.readexactly(length)
        return int(raw.split(b" ", 2)[1]), payload, time.perf_counter() - started

    def close(self) -> None:
        self.writer.close()


async def _poll(port: int, path: str, deadline: float, out: list[float], pause: float) -> None:
    connection = await Connection.open(port)
    while time.perf_counter() < deadline:
        status, _body, elapsed = await connection.request("GET", path, auth=path == READ)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        out.append(elapsed)
        await asyncio.sleep(pause)
    connection.close()


async def _readyz(port: int, deadline: float, out: Counter[int]) -> None:
    connection = await Connection.open(port)
    while time.perf_counter() < deadline:
        status, _body, _elapsed = await connection.request("GET", "/readyz", auth=False)
        out[status] += 1
        await asyncio.sleep(0.1)
    connection.close()


async def _render(
    port: int, deadline: float, out: list[tuple[int, str, float]], polite: bool
) -> None:
    connection = await Connection.open(port)
    body = json.dumps({"variables": {}}).encode()
    while time.perf_counter() < deadline:
        status, payload, elapsed = await connection.request("POST", RENDER, body)
        code = json.loads(payload)["error"]["code"] if status >= 400 else "ok"
        out.append((status, code, elapsed))
        if polite and status == 503:
            details = json.loads(payload)["error"]["details"]
            await asyncio.sleep(min(details["retry_after"], deadline - time.perf_counter()))
    connection.close()


async def _phase(port: int, seconds: float, renders: int, polite: bool) -> dict[str, object]:
    reads: list[float] = []
    health: list[float] = []
    answers: list[tuple[int, str, float]] = []
    ready: Counter[int] = Counter()
    end = time.perf_counter() + seconds
    loads = [asyncio.create_task(_render(port, end, answers, polite)) for _ in range(renders)]
    await asyncio.sleep(0.5)  # let the renders fill the pool first
    await asyncio.gather(
        _poll(port, READ, end, reads, 0.002),
        _poll(port, "/healthz", end, health, 0.01),
        _readyz(port, end, ready),
    )
    await asyncio.gather(*loads)
    await asyncio.sleep(3)  # let the last renders end before the next phase
    return {"reads": reads, "health": health, "answers": answers, "ready": dict(ready)}


def _client(port: int, seconds: float, renders: int, queue: mp.Queue) -> None:
    async def main() -> dict[str, object]:
        baseline: list[float] = []
        baseline_health: list[float] = []
        await asyncio.gather(
            _poll(port, READ, time.perf_counter() + seconds / 2, baseline, 0.002),
            _poll(port, "/healthz", time.perf_counter() + seconds / 2, baseline_health, 0.01),
        )
        return {
            "baseline": baseline,
            "baseline_health": baseline_health,
            "polite": await _phase(port, seconds, renders, polite=True),
            "flood": await _phase(port, seconds, renders, polite=False),
        }

    queue.put(asyncio.run(main()))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _setup(url: str) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for name, content in (("light", LIGHT), ("worst", WORST)):
            response = client.post("/api/v1/prompts", json={"name": name, "content": content})
            response.raise_for_status()
        client.put("/api/v1/prompts/light/labels/production", json={"version": 1})
        client.get(READ).raise_for_status()  # cached from now on


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--renders", type=int, default=50)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="promptyard-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "PROMPTYARD_DATA_DIR": str(workdir),
        "PROMPTYARD_INIT_API_KEY": API_KEY,
        "PROMPTYARD_WEBHOOK_WORKER": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "promptyard", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        _setup(f"http://127.0.0.1:{port}")
        queue: mp.Queue = mp.Queue()
        process = mp.Process(target=_client, args=(port, args.seconds, args.renders, queue))
        process.start()
        result = queue.get()
        process.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    base, base_health = result["baseline"], result["baseline_health"]
    rows = [
        ("baseline, no renders: prompt read median / p99", _ms(base), ""),
        ("baseline: /healthz median / p99", _ms(base_health), ""),
    ]
    titles = {"polite": "waiting as Retry-After says", "flood": "resending at once (flood)"}
    for phase, title in titles.items():
        rows.extend(_rows(f"{args.renders} renders in flight, {title}", result[phase]))
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"{'measure'.ljust(width)} | {'result'.rjust(value_width)} | target")
    print(f"{'-' * width}-|-{'-' * value_width}-|-------")
    for name, value, target in rows:
        print(f"{name.ljust(width)} | {value.rjust(value_width)} | {target}")


def _rows(title: str, phase: dict[str, object]) -> list[tuple[str, str, str]]:
    answers: list[tuple[int, str, float]] = phase["answers"]  # type: ignore[assignment]
    reads: list[float] = phase["reads"]  # type: ignore[assignment]
    health: list[float] = phase["health"]  # type: ignore[assignment]
    ready: dict[int, int] = phase["ready"]  # type: ignore[assignment]
    kinds = Counter(f"{status} {code}" for status, code, _elapsed in answers)
    rendered = [elapsed for status, _code, elapsed in answers if status != 503]
    refused = [elapsed for status, _code, elapsed in answers if status == 503]
    return [
        (title, "", ""),
        ("  prompt reads", f"{len(reads)}", ""),
        ("  prompt read median / p99", _ms(reads), "p99 <= 50 ms"),
        ("  prompt read max", f"{max(reads) * 1000:.1f} ms", ""),
        ("  /healthz median / p99", _ms(health), ""),
        ("  /readyz answers", _counts(ready), ""),
        ("  render answers", ", ".join(f"{n} x {k}" for k, n in sorted(kinds.items())), ""),
        ("  rendered (422 at the deadline): median / p99", _ms(rendered), ""),
        ("  refused (503 overloaded): median / p99", _ms(refused), ""),
    ]


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{pct(values, 0.5):.2f} / {pct(values, 0.99):.2f} ms"


def _counts(counts: dict[int, int]) -> str:
    return ", ".join(f"{n} x {status}" for status, n in sorted(counts.items()))


if __name__ == "__main__":
    main()
