"""Execute's overhead over the provider's own latency, on the fake provider.

Starts ``promptyard serve`` (SQLite) in its own process, creates a prompt and a ``fake``
connection answering after ``--latency-ms`` (default 0: the whole time is overhead), and
from this process runs ``POST /api/v1/prompts/execute`` ``--requests`` times on one
kept-alive connection. Overhead per run = the client's round trip minus the provider's
own time (the answer's ``latency_ms``): rendering, the HTTP layer, recording the
generation.

    python bench/execute_overhead.py
    python bench/execute_overhead.py --latency-ms 50 --requests 300

Prints a table: round trip and overhead, median and p95, and the server process's CPU
time per run (user + system, from /proc on Linux): on a shared, loaded machine the wall
times carry the scheduler's waits, the CPU time much less so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from registry_write import API_KEY, serve


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()

    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="promptyard-execute-"))
    server, port = serve(workdir)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}/api/v1",
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=30,
        ) as client:
            client.post(
                "/prompts",
                json={"name": "bench", "content": "Summarise {{ topic }} in one line."},
            ).raise_for_status()
            client.post(
                "/providers",
                json={
                    "name": "bench",
                    "kind": "fake",
                    "options": {"latency_ms": args.latency_ms},
                    "max_concurrency": 64,
                },
            ).raise_for_status()
            body = {"model": "bench/echo", "prompt": "bench", "variables": {"topic": "tides"}}
            for _ in range(50):  # warm up
                client.post("/prompts/execute", json=body).raise_for_status()
            trips: list[float] = []
            overheads: list[float] = []
            cpu_before = cpu_seconds(server.pid)
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.post("/prompts/execute", json=body)
                trip = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                trips.append(trip)
                overheads.append(trip - response.json()["latency_ms"])
            cpu_after = cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    def p95(values: list[float]) -> float:
        return sorted(values)[int(len(values) * 0.95) - 1]

    print(f"execute on the fake provider ({args.latency_ms:g} ms), {args.requests} runs")
    rows = [
        ("round trip: median", statistics.median(trips)),
        ("round trip: p95", p95(trips)),
        ("overhead over the provider: median", statistics.median(overheads)),
        ("overhead over the provider: p95", p95(overheads)),
    ]
    if cpu_before is not None and cpu_after is not None:
        rows.append(("server CPU per run", (cpu_after - cpu_before) * 1000 / args.requests))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value:8.2f} ms")


if __name__ == "__main__":
    main()
