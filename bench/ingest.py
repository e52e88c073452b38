"""Generation ingest: ``POST /api/v1/generations/batch`` into SQLite, sustained.

Starts ``promptyard serve`` on a fresh SQLite data folder in its own process; a separate
client process sends batches of 1,000 generations (realistic rows: chat input, output,
tokens, a priced model, user, feature, tags) from ``--clients`` concurrent connections for
``--seconds``, then reads the server's resident memory. Every acknowledged item must come
back as ``created``; the row count is checked against the acknowledgements at the end.

    python bench/ingest.py                      # 20 s, 2 clients
    python bench/ingest.py --total 1000000      # ingest a million, then report RSS

Prints a table: generations/s sustained, batch latency p50/p95, how long after the last
acknowledgement the server's rollup writer had counted every row (read from the database
file), the server's CPU time per generation (rollups included), and its RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from registry_write import API_KEY, serve

BATCH = 1000


def batch_body(prefix: str, start: int) -> bytes:
    import json

    items: list[dict[str, Any]] = []
    for index in range(start, start + BATCH):
        items.append(
            {
                "id": f"{prefix}-{index}",
                "provider": "openai",
                "model": "gpt-4o-mini" if index % 3 else "gpt-4o",
                "prompt_name": "support-reply",
                "prompt_version": 1 + index % 4,
                "input_tokens": 400 + index % 300,
                "output_tokens": 80 + index % 120,
                "cached_tokens": 100 if index % 5 == 0 else None,
                "latency_ms": 300.0 + index % 900,
                "ttft_ms": 120.0 + index % 200,
                "user_id": f"user-{index % 500}",
                "session_id": f"session-{index % 2000}",
                "feature": ("chat", "search", "summary")[index % 3],
                "environment": "production",
                "tags": ["bench"],
                "input": [
                    {"role": "system", "content": "You answer support tickets politely."},
                    {"role": "user", "content": f"Ticket {index}: my order has not arrived."},
                ],
                "output": f"Sorry to hear that about ticket {index}; here is what we will do.",
            }
        )
    return json.dumps({"generations": items}).encode()


def _client(port: int, seconds: float, total: int | None, clients: int, queue: mp.Queue) -> None:
    async def main() -> tuple[int, list[float], float]:
        prefix = uuid.uuid4().hex[:8]
        template = batch_body("BATCHID", 0)
        latencies: list[float] = []
        acknowledged = 0
        next_start = 0
        started = time.perf_counter()
        deadline = started + seconds

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal acknowledged, next_start
            while True:
                if total is not None and next_start >= total:
                    return
                if total is None and time.perf_counter() >= deadline:
                    return
                start, next_start = next_start, next_start + BATCH
                # the ids of a batch differ only in their prefix: a cheap, unique body
                # (so that building bodies takes no CPU from the server's two cores)
                body = template.replace(b"BATCHID-", f"{prefix}{start:09d}-".encode())
                sent = time.perf_counter()
                response = await client.post(
                    "/api/v1/generations/batch",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                latencies.append(time.perf_counter() - sent)
                result = response.json()
                assert response.status_code == 200, response.text[:500]
                assert result["created"] == BATCH, result
                acknowledged += result["created"]

        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=60,
        ) as client:
            await asyncio.gather(*(worker(client) for _ in range(clients)))
        return acknowledged, latencies, time.perf_counter() - started

    queue.put(asyncio.run(main()))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc): comparable on a busy machine,
    where throughput is not."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rollups_caught_up(database: Path, timeout: float = 600.0) -> float:
    """Seconds until the server's rollup writer has counted every stored generation
    (``analytics_rollup_marks``: nothing stored past what is counted), read from the
    database file without asking the server (a query would count them itself)."""
    started = time.perf_counter()
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        while time.perf_counter() - started < timeout:
            behind = connection.execute(
                "SELECT count(*) FROM analytics_rollup_marks WHERE rolled_pk < stored_pk"
            ).fetchone()[0]
            if not behind:
                return time.perf_counter() - started
            time.sleep(0.05)
    finally:
        connection.close()
    raise SystemExit(f"rollups still behind after {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--total", type=int, default=None, help="send this many, not a time")
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="promptyard-ingest-"))
    server, port = serve(workdir)
    try:
        # warm up: the first batch loads the price data and the encodings
        queue: mp.Queue = mp.Queue()
        warm = mp.Process(target=_client, args=(port, 0.0, BATCH, 1, queue))
        warm.start()
        warm.join()
        queue.get()
        cpu_before = cpu_seconds(server.pid)
        process = mp.Process(
            target=_client, args=(port, args.seconds, args.total, args.clients, queue)
        )
        process.start()
        acknowledged, latencies, elapsed = queue.get()
        process.join()
        lag = rollups_caught_up(workdir / "promptyard.db")
        cpu = cpu_seconds(server.pid) - cpu_before
        rss = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = (
        sqlite3.connect(workdir / "promptyard.db")
        .execute("SELECT count(*) FROM generations")
        .fetchone()[0]
    )
    shutil.rmtree(workdir, ignore_errors=True)
    latencies.sort()
    table = [
        ("generations acknowledged", f"{acknowledged:,}"),
        ("rows stored (incl. warm-up)", f"{rows:,}"),
        ("sustained generations/s", f"{acknowledged / elapsed:,.0f}"),
        ("rollups counted all, after the last acknowledgement", f"{lag:.1f} s"),
        ("server CPU per generation, rollups included", f"{cpu / acknowledged * 1e6:.0f} µs"),
        ("batch of 1,000: p50", f"{statistics.median(latencies) * 1000:.1f} ms"),
        ("batch of 1,000: p95", f"{latencies[int(len(latencies) * 0.95) - 1] * 1000:.1f} ms"),
        ("server RSS at the end", f"{rss:.0f} MB"),
    ]
    width = max(len(name) for name, _ in table)
    print(f"ingest into SQLite, {args.clients} client(s), batches of {BATCH}")
    for name, value in table:
        print(f"  {name:<{width}}  {value:>12}")
    if rows != acknowledged + BATCH:
        raise SystemExit(f"lost rows: {acknowledged + BATCH} acknowledged, {rows} stored")


if __name__ == "__main__":
    main()
