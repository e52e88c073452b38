"""Benchmark: what SDK reporting costs the host's thread (issue 9).

Target: <= 10 us added per logged event in the host's thread, with the server up and
with it gone. Starts ``promptyard serve`` on a fresh SQLite database in its own process
(the live rows), and points a second set of clients at a closed port (the dead rows).
Every figure is the median and p99 of single calls timed with ``time.perf_counter_ns``
after a warm-up, while the client's sender thread works (sends, or retries and fails) in
the same process. The last table is the sender's own throughput into the live server.

Run: ``.venv/bin/python bench/sdk_reporting.py [--events N]`` (default 50,000 per row).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from promptyard.client import Client, ReportingSettings

KEY = "py_bench_reporting_key"
MESSAGES = [{"role": "user", "content": "Hello there, how are you?"}]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve() -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PROMPTYARD_DATA_DIR": tempfile.mkdtemp(), "PROMPTYARD_INIT_API_KEY": KEY}
    command = [sys.executable, "-m", "promptyard", "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    for _ in range(1000):
        fn()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(runs):
        started = clock()
        fn()
        samples.append(clock() - started)
    samples.sort()
    return statistics.median(samples) / 1000, samples[int(len(samples) * 0.99)] / 1000


def calls(client: Client) -> list[tuple[str, Callable[[], object]]]:
    def minimal() -> None:
        client.log_generation(model="gpt-4o", input_tokens=12, output_tokens=7)

    def typical() -> None:
        client.log_generation(
            provider="openai",
            model="gpt-4o",
            input_tokens=12,
            output_tokens=7,
            latency_ms=812.5,
            user_id="user-42",
            session_id="s-1",
            feature="chat",
            tags=["bench"],
            metadata={"k": 1},
            input=MESSAGES,
            output="I am fine, thanks.",
        )

    def observed() -> None:
        with client.observe("step", feature="chat"):
            pass

    return [
        ("log_generation, 3 fields", minimal),
        ("log_generation, 12 fields", typical),
        ("observe block (empty)", observed),
    ]


def table(title: str, url: str, settings: ReportingSettings, runs: int) -> None:
    with Client(url, KEY, reporting=settings) as client:
        for name, fn in calls(client):
            median, p99 = measure(fn, runs)
            print(f"{title + ', ' + name:52} {median:10.2f} {p99:10.2f} {'<= 10':>8}")
        stats = dict(client.reporter.stats)
    kept = {k: v for k, v in stats.items() if k in ("queued", "sent", "dropped", "failed")}
    print(f"{'':52} {kept}")


def throughput(url: str, events: int) -> None:
    settings = ReportingSettings(max_queue=events, batch_size=1000)
    with Client(url, KEY, reporting=settings) as client:
        started = time.perf_counter()
        for index in range(events):
            client.log_generation(model="gpt-4o", input_tokens=index, output_tokens=7)
        queued = time.perf_counter() - started
        client.flush()
        total = time.perf_counter() - started
        sent = client.reporter.stats["sent"]
    print(f"\n{'sender throughput into the live server':52} {'value':>10}")
    print(f"{'events logged (host thread)':52} {events:10d}")
    print(f"{'stored (acknowledged by the server)':52} {sent:10d}")
    print(f"{'host thread time, ms':52} {queued * 1000:10.1f}")
    print(f"{'until flushed, ms':52} {total * 1000:10.1f}")
    print(f"{'events/s delivered':52} {events / total:10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    runs = parser.parse_args().events
    dead = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    print(f"{'per logged event, host thread':52} {'median us':>10} {'p99 us':>10} {'target':>8}")
    with serve() as live:
        table("live server", live, ReportingSettings(max_queue=10 * runs), runs)
        table(
            "dead server, queueing",
            dead,
            ReportingSettings(max_queue=10 * runs, shutdown_timeout=1),
            runs,
        )
        table(
            "dead server, queue full",
            dead,
            ReportingSettings(max_queue=100, shutdown_timeout=1),
            runs,
        )
        throughput(live, runs)


if __name__ == "__main__":
    main()
