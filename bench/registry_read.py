"""Benchmark: GET a prompt by name and label over HTTP on loopback.

Seeds 10,000 prompts x 5 versions (with a ``production`` label) into a fresh SQLite
database through the services, starts ``promptyard serve`` in its own process, then:

1. latency with one client (sequential requests on a kept-alive connection),
2. throughput and latency with 16 concurrent clients (16 kept-alive connections),
3. the server's resident memory after the load.

Targets (issue 2): median <= 2 ms and p99 <= 10 ms, >= 2,000 requests/s with 16 clients,
<= 200 MB RSS. Run: ``.venv/bin/python bench/registry_read.py [--prompts N]``.
The load client is a small asyncio HTTP/1.1 client on raw sockets in a separate process,
so it costs as little CPU as possible on this 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

API_KEY = "py_bench_key_0123456789abcdef"
SEED_CACHE = Path(__file__).resolve().parent / "results"


def seed(path: Path, prompts: int, versions: int) -> None:
    """Seed through the import service: one bundle, one transaction, every check run."""
    from datetime import UTC, datetime, timedelta

    from promptyard.config import Settings
    from promptyard.domain.actor import RequestContext
    from promptyard.domain.content import content_hash
    from promptyard.services.identity import auth
    from promptyard.services.prompts import bundles
    from promptyard.store import migrate
    from promptyard.store.engine import Store
    from promptyard.wiring import build_core

    settings = Settings(
        data_dir=path.parent, database_url=f"sqlite:///{path}", init_api_key=API_KEY
    )
    store = Store(settings.resolved_database_url())
    migrate.upgrade(store)
    core = build_core(settings, store)
    auth.bootstrap(core)
    ctx = RequestContext(actor=auth.authenticate_api_key(core, API_KEY))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    items = []
    for index in range(prompts):
        created = start + timedelta(minutes=index)
        config = {"model": "gpt-4o-mini", "temperature": 0.2}
        history = []
        for number in range(1, versions + 1):
            content = (
                f"You are assistant {index} (revision {number}). "
                "Answer {{ question }} in a {{ tone | default('kind') }} tone."
            )
            history.append(
                {
                    "number": number,
                    "branch": "main",
                    "type": "text",
                    "content": content,
                    "config": config,
                    "variables": [
                        {"name": "question", "required": True},
                        {"name": "tone", "required": False},
                    ],
                    "references": [],
                    "content_hash": content_hash("text", content, config),
                    "parent": number - 1 or None,
                    "message": f"revision {number}",
                    "author": "key:bench",
                    "created_at": (created + timedelta(seconds=number)).isoformat(),
                }
            )
        at = (created + timedelta(seconds=versions)).isoformat()
        items.append(
            {
                "name": f"prompt-{index:05d}",
                "folder": f"team-{index % 20}/area-{index % 7}",
                "type": "text",
                "tags": [f"t{index % 13}"],
                "created_at": created.isoformat(),
                "created_by": "key:bench",
                "updated_at": at,
                "updated_by": "key:bench",
                "versions": history,
                "labels": [
                    {
                        "name": "latest",
                        "version": versions,
                        "updated_at": at,
                        "updated_by": "key:bench",
                    },
                    {
                        "name": "production",
                        "version": max(1, versions - 1),
                        "updated_at": at,
                        "updated_by": "key:bench",
                    },
                ],
                "branches": [
                    {
                        "name": "main",
                        "base": None,
                        "head": versions,
                        "created_at": created.isoformat(),
                        "created_by": "key:bench",
                    }
                ],
            }
        )
    bundle = {
        "format": "promptyard-bundle",
        "format_version": 1,
        "project": {"slug": "default", "name": "Default project"},
        "prompts": items,
    }
    started = time.perf_counter()
    bundles.import_project(core, ctx=ctx, project_id=1, data=bundle)
    print(f"  imported in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    store.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _client(
    port: int, paths: list[str], deadline: float, in_order: bool, out: list[float]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    while time.perf_counter() < deadline and (not in_order or sent < len(paths)):
        path = paths[sent] if in_order else random.choice(paths)
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {API_KEY}\r\n\r\n"
        ).encode()
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"unexpected answer: {head[:80]!r}")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        out.append(time.perf_counter() - started)
        sent += 1
    writer.close()


def _load(
    port: int, paths: list[str], clients: int, seconds: float, in_order: bool, queue: mp.Queue
) -> None:
    async def main() -> list[float]:
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds
        await asyncio.gather(
            *(
                _client(
                    port, paths[i::clients] if in_order else paths, deadline, in_order, latencies
                )
                for i in range(clients)
            )
        )
        return latencies

    started = time.perf_counter()
    latencies = asyncio.run(main())
    queue.put((latencies, time.perf_counter() - started))


def run_load(
    port: int, paths: list[str], clients: int, seconds: float, in_order: bool = False
) -> tuple[list[float], float]:
    queue: mp.Queue = mp.Queue()
    process = mp.Process(target=_load, args=(port, paths, clients, seconds, in_order, queue))
    process.start()
    latencies, elapsed = queue.get()
    process.join()
    return latencies, elapsed


def count_embeddings(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM version_embeddings").fetchone()[0])
        except sqlite3.OperationalError:  # a database from before the table
            return 0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--semantic",
        action="store_true",
        help="serve with PROMPTYARD_SEMANTIC_SEARCH=true: the background job embeds the "
        "versions while the reads are measured (needs promptyard[semantic])",
    )
    args = parser.parse_args()

    SEED_CACHE.mkdir(exist_ok=True)
    seeded = SEED_CACHE / f"seed-{args.prompts}x{args.versions}.db"
    if not seeded.exists():
        print(f"seeding {args.prompts} prompts x {args.versions} versions ...", file=sys.stderr)
        partial = seeded.with_suffix(".partial")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        seed(partial, args.prompts, args.versions)
        partial.rename(seeded)
    workdir = Path(tempfile.mkdtemp(prefix="promptyard-bench-"))
    shutil.copyfile(seeded, workdir / "promptyard.db")
    port = free_port()
    env = {
        **os.environ,
        "PROMPTYARD_DATA_DIR": str(workdir),
        "PROMPTYARD_INIT_API_KEY": API_KEY,
        "PROMPTYARD_SEMANTIC_SEARCH": "true" if args.semantic else "false",
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
        rss_idle = rss_mb(server.pid)
        paths = [f"/api/v1/prompts/prompt-{i:05d}?label=production" for i in range(args.prompts)]
        # Read every prompt once (cold: from the database), then measure warm reads.
        cold, cold_elapsed = run_load(port, paths, 4, 600.0, in_order=True)
        single, _ = run_load(port, paths, 1, args.seconds / 2)
        many, elapsed = run_load(port, paths, args.clients, args.seconds)
        rss_after = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
        embedded = count_embeddings(workdir / "promptyard.db")
        shutil.rmtree(workdir, ignore_errors=True)

    rows = [
        ("data set", f"{args.prompts} prompts x {args.versions} versions (SQLite)", ""),
        ("cold reads (4 clients, each prompt once): median", f"{pct(cold, 0.5):.2f} ms", ""),
        ("cold reads: requests/s", f"{len(cold) / cold_elapsed:.0f}", ""),
        ("1 client: median", f"{pct(single, 0.5):.2f} ms", "<= 2 ms"),
        ("1 client: p99", f"{pct(single, 0.99):.2f} ms", "<= 10 ms"),
        ("1 client: requests/s", f"{len(single) / (args.seconds / 2):.0f}", ""),
        (f"{args.clients} clients: requests/s", f"{len(many) / elapsed:.0f}", ">= 2,000"),
        (f"{args.clients} clients: median", f"{pct(many, 0.5):.2f} ms", ""),
        (f"{args.clients} clients: p99", f"{pct(many, 0.99):.2f} ms", ""),
        ("server RSS idle", f"{rss_idle:.0f} MB", ""),
        ("server RSS after load", f"{rss_after:.0f} MB", "<= 200 MB"),
        ("versions embedded meanwhile (--semantic)", f"{embedded}", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)} | {'result':>42} | target")
    print(f"{'-' * width}-|-{'-' * 42}-|-------")
    for name, value, target in rows:
        print(f"{name.ljust(width)} | {value:>42} | {target}")
    _ = statistics


if __name__ == "__main__":
    main()
