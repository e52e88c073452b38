"""Benchmark: the change stream with 1,000 watching connections (issue 8).

Starts ``promptyard serve`` (one process) on a seeded SQLite database (the read
benchmark's seed, ``bench/registry_read.py``), then:

1. the read benchmark's warm load (16 kept-alive clients) with no watcher connected,
2. opens 1,000 SSE connections to ``GET /api/v1/prompts/changes`` from another
   process, and measures the server's RSS growth,
3. the same read load with the 1,000 connected (target: at most 10 % slower),
4. ~50 label moves, each timed from just before its ``PUT`` to its arrival in the first
   and in the last of the 1,000 watchers (target: p99 <= 1 s).

With ``--keepalive`` it instead measures the keep-alive trap of uvicorn's multi-worker
mode (FACTS.md): one client's sequential reads on a kept-alive connection with
``serve`` (1 worker), ``serve --workers 2`` (TCP_NODELAY set on each connection), and
uvicorn's own 2 workers without it.

Run: ``.venv/bin/python bench/watch_fanout.py [--watchers 1000] [--moves 50]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from registry_read import (  # a script next to this one
    API_KEY,
    SEED_CACHE,
    free_port,
    pct,
    rss_mb,
    run_load,
    seed,
)

PROMPT = "prompt-00000"
#: label -> when each watcher heard of its move
Arrivals = dict[str, list[float]]


def seeded_db(prompts: int, versions: int) -> Path:
    SEED_CACHE.mkdir(exist_ok=True)
    path = SEED_CACHE / f"seed-{prompts}x{versions}.db"
    if not path.exists():
        print(f"seeding {prompts} prompts x {versions} versions ...", file=sys.stderr)
        partial = path.with_suffix(".partial")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        seed(partial, prompts, versions)
        partial.rename(path)
    return path


@contextmanager
def server(db: Path, command: list[str] | None = None) -> Iterator[tuple[int, int]]:
    """``(port, pid)`` of a server over a copy of ``db``."""
    workdir = Path(tempfile.mkdtemp(prefix="promptyard-bench-"))
    shutil.copyfile(db, workdir / "promptyard.db")
    port = free_port()
    env = {**os.environ, "PROMPTYARD_DATA_DIR": str(workdir), "PROMPTYARD_INIT_API_KEY": API_KEY}
    args = command or ["-m", "promptyard", "serve"]
    args = [a.replace("{port}", str(port)) for a in args]
    if command is None:
        args += ["--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).is_success:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


# -- the watchers (another process) ----------------------------------------------------


async def _watch(port: int, arrivals: dict[str, list[float]], ready: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            "GET /api/v1/prompts/changes HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {API_KEY}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"unexpected answer: {head[:80]!r}")
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.startswith(b"event: ready"):
            ready.set()
        elif line.startswith(b"data: {") and b'"kind":"label"' in line:
            label = orjson.loads(line[6:])["label"]
            arrivals.setdefault(label, []).append(time.monotonic())


def _watchers(
    port: int, count: int, opened: MpEvent, stop: MpEvent, out: mp.Queue[Arrivals]
) -> None:
    async def main() -> None:
        arrivals: Arrivals = {}
        tasks, readies = [], []
        for _ in range(count):
            ready = asyncio.Event()
            readies.append(ready)
            tasks.append(asyncio.create_task(_watch(port, arrivals, ready)))
            if len(tasks) % 100 == 0:
                await asyncio.sleep(0.05)  # do not flood the accept queue
        await asyncio.gather(*(r.wait() for r in readies))
        opened.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # the last events
        for task in tasks:
            task.cancel()
        out.put(arrivals)

    asyncio.run(main())


def _moves(port: int, moves: int) -> dict[str, float]:
    sent = {}
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {API_KEY}"}
    ) as client:
        for index in range(moves):
            label = f"watch-{index}"
            sent[label] = time.monotonic()
            moved = client.put(f"/api/v1/prompts/{PROMPT}/labels/{label}", json={"version": 1})
            moved.raise_for_status()
            time.sleep(0.1)
    return sent


def fanout(args: argparse.Namespace, db: Path) -> list[tuple[str, str, str]]:
    paths = [f"/api/v1/prompts/prompt-{i:05d}?label=production" for i in range(args.prompts)]
    with server(db) as (port, pid):
        run_load(port, paths, 4, 600.0, in_order=True)  # warm every prompt into the cache
        run_load(port, paths, args.clients, 2.0)  # and the server
        base, base_elapsed = run_load(port, paths, args.clients, args.seconds)
        rss_before = rss_mb(pid)
        opened, stop = mp.Event(), mp.Event()
        out: mp.Queue[Arrivals] = mp.Queue()
        started = time.monotonic()
        watcher = mp.Process(target=_watchers, args=(port, args.watchers, opened, stop, out))
        watcher.start()
        if not opened.wait(120):
            raise RuntimeError("the watchers did not connect")
        connect_time = time.monotonic() - started
        time.sleep(2.0)
        rss_connected = rss_mb(pid)
        loaded, loaded_elapsed = run_load(port, paths, args.clients, args.seconds)
        rss_loaded = rss_mb(pid)
        sent = _moves(port, args.moves)
        stop.set()
        arrivals = out.get(timeout=60)
        watcher.join(timeout=30)
        time.sleep(1.0)
        rss_after = rss_mb(pid)
        again, again_elapsed = run_load(port, paths, args.clients, args.seconds)  # A/B/A
    first = [min(arrivals[label]) - at for label, at in sent.items() if label in arrivals]
    last = [max(arrivals[label]) - at for label, at in sent.items() if label in arrivals]
    complete = sum(len(arrivals.get(label, [])) == args.watchers for label in sent)
    before_rps, after_rps = len(base) / base_elapsed, len(again) / again_elapsed
    base_rps, loaded_rps = (before_rps + after_rps) / 2, len(loaded) / loaded_elapsed
    slower = (1 - loaded_rps / base_rps) * 100
    w = args.watchers
    return [
        ("data set", f"{args.prompts} prompts (SQLite), 1 server process", ""),
        (f"{w} watchers: connected in", f"{connect_time:.1f} s", ""),
        ("server RSS before watchers", f"{rss_before:.0f} MB", ""),
        (f"server RSS with {w} watchers", f"{rss_connected:.0f} MB", ""),
        ("RSS growth", f"{rss_connected - rss_before:.1f} MB", "<= 50 MB"),
        ("RSS after load and moves / watchers gone", f"{rss_loaded:.0f} / {rss_after:.0f} MB", ""),
        (
            f"reads, {args.clients} clients, no watchers (before / after): req/s",
            f"{before_rps:.0f} / {after_rps:.0f}",
            "",
        ),
        (f"reads, {args.clients} clients, {w} watchers: req/s", f"{loaded_rps:.0f}", ""),
        ("reads: slower with watchers (vs. mean of both)", f"{slower:.1f} %", "<= 10 %"),
        ("reads median / p99, no watchers", f"{pct(base, 0.5):.2f} / {pct(base, 0.99):.2f} ms", ""),
        (
            f"reads median / p99, {w} watchers",
            f"{pct(loaded, 0.5):.2f} / {pct(loaded, 0.99):.2f} ms",
            "",
        ),
        (
            f"label move -> first watcher, p50 / p99 ({len(first)} moves)",
            f"{pct(first, 0.5):.0f} / {pct(first, 0.99):.0f} ms",
            "p99 <= 1,000 ms",
        ),
        (
            f"label move -> all {w} watchers, p50 / p99",
            f"{pct(last, 0.5):.0f} / {pct(last, 0.99):.0f} ms",
            "p99 <= 1,000 ms",
        ),
        ("moves received by every watcher", f"{complete} / {len(sent)}", "all"),
    ]


def keepalive(args: argparse.Namespace, db: Path) -> list[tuple[str, str, str]]:
    paths = [f"/api/v1/prompts/prompt-{i:05d}?label=production" for i in range(200)]
    serve = ["-m", "promptyard", "serve", "--port", "{port}"]
    plain = (
        "import uvicorn; uvicorn.run('promptyard.cli.serve:worker_app', factory=True, "
        "workers=2, host='127.0.0.1', port={port}, http='httptools', loop='uvloop', "
        "log_level='warning')"
    )
    nodelay = "'promptyard.server.nodelay:NoDelayHttpToolsProtocol'"
    layouts = [
        ("serve (1 process)", None),
        ("serve --workers 2 (TCP_NODELAY set)", [*serve, "--workers", "2"]),
        ("uvicorn, 2 workers, uvloop, no TCP_NODELAY", ["-c", plain]),
        (
            "uvicorn, 2 workers, asyncio loop, no TCP_NODELAY",
            ["-c", plain.replace("'uvloop'", "'asyncio'")],
        ),
        (
            "uvicorn, 2 workers, asyncio loop, TCP_NODELAY",
            ["-c", plain.replace("'uvloop'", "'asyncio'").replace("'httptools'", nodelay)],
        ),
    ]
    rows = []
    for name, command in layouts:
        with server(db, command) as (port, _pid):
            run_load(port, paths, 1, 1.0)
            single, _ = run_load(port, paths, 1, args.seconds / 2)
            many, elapsed = run_load(port, paths, args.clients, args.seconds / 2)
        rows.append(
            (
                name,
                f"1 client {pct(single, 0.5):.2f} / {pct(single, 0.99):.2f} ms; "
                f"{args.clients} clients {len(many) / elapsed:.0f} req/s",
                "",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=1_000)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--watchers", type=int, default=1_000)
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--keepalive", action="store_true", help="the multi-worker trap")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    db = seeded_db(args.prompts, args.versions)
    rows = keepalive(args, db) if args.keepalive else fanout(args, db)
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)} | {'result':>44} | target")
    print(f"{'-' * width}-|-{'-' * 44}-|-------")
    for name, value, target in rows:
        print(f"{name.ljust(width)} | {value:>44} | {target}")


if __name__ == "__main__":
    main()
