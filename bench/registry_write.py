"""Benchmark: create a version and move a label over HTTP on loopback.

Seeds 1,000 prompts x 5 versions (with a ``production`` label) into a fresh SQLite
database through the import service (the same seed as ``registry_read.py``), starts
``promptyard serve`` in its own process, then, from a separate client process on one
kept-alive connection:

1. version create: ``PATCH /api/v1/prompts/{name}`` with new content (a new version on
   main, which also moves ``latest``), each request on a different prompt;
2. label move: ``PUT /api/v1/prompts/{name}/labels/production`` to another version,
   each request on a different prompt;
3. a no-op write: ``PATCH`` with an empty body (authentication, routing, the write
   transaction's reads and the answer, but nothing written): what a write costs before
   it writes anything;
4. version create and label move again with 4 concurrent clients (throughput; writes are
   serialized by the database, so this shows the lock is held briefly, not that writes
   run in parallel).

The 1-client phases run ``--rounds`` times (alternating); the table gives the median of
the rounds' medians and, because the machine is shared, the server process's CPU time
per request (from ``/proc``), which other load disturbs much less than latency.

Then it counts the SQL statements one write of each kind runs (``BEGIN`` included), in
this process, through the same app (``create_app``) on a copy of the database, with a
SQLAlchemy ``before_cursor_execute`` listener.

Targets (issue 7): version create <= 3 ms median, label move <= 2 ms median (1 client).
Run: ``.venv/bin/python bench/registry_write.py [--prompts N] [--writes N] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from registry_read import API_KEY, SEED_CACHE, free_port, pct, seed

Request = tuple[str, str, bytes]  # method, path, JSON body


def version_requests(prompts: int, start: int, count: int) -> list[Request]:
    """PATCHes that each make one new version, spread over the prompts."""
    return [
        (
            "PATCH",
            f"/api/v1/prompts/prompt-{i % prompts:05d}",
            orjson.dumps(
                {
                    "content": f"You are assistant {i % prompts}, edit {i}. "
                    "Answer {{ question }} in a {{ tone | default('kind') }} tone.",
                    "commit_message": f"edit {i}",
                }
            ),
        )
        for i in range(start, start + count)
    ]


def label_requests(prompts: int, start: int, count: int, versions: int) -> list[Request]:
    """PUTs that each move ``production`` (alternating between the last two versions)."""
    requests = []
    for i in range(start, start + count):
        rounds = i // prompts  # the seed points production at versions - 1
        target = versions if rounds % 2 == 0 else versions - 1
        requests.append(
            (
                "PUT",
                f"/api/v1/prompts/prompt-{i % prompts:05d}/labels/production",
                orjson.dumps({"version": target}),
            )
        )
    return requests


def noop_requests(prompts: int, start: int, count: int) -> list[Request]:
    """PATCHes with nothing to change: the write path up to the point of writing."""
    return [
        ("PATCH", f"/api/v1/prompts/prompt-{i % prompts:05d}", b"{}")
        for i in range(start, start + count)
    ]


def by_prompt(
    requests: list[Request], start: int, prompts: int, clients: int
) -> list[list[Request]]:
    """One batch per client; request ``start + k`` (on prompt ``(start + k) % prompts``)
    goes to client ``(start + k) % prompts % clients``: no two clients write one prompt."""
    batches: list[list[Request]] = [[] for _ in range(clients)]
    for index, request in enumerate(requests, start):
        batches[index % prompts % clients].append(request)
    return batches


async def _client(port: int, requests: list[Request], out: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for method, path, body in requests:
        head_lines = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {API_KEY}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        started = time.perf_counter()
        writer.write(head_lines.encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        answer = await reader.readexactly(length)
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{method} {path}: {head[:40]!r} {answer[:300]!r}")
        out.append(time.perf_counter() - started)
    writer.close()


def _load(port: int, batches: list[list[Request]], queue: mp.Queue) -> None:
    async def main() -> list[float]:
        latencies: list[float] = []
        await asyncio.gather(*(_client(port, batch, latencies) for batch in batches))
        return latencies

    started = time.perf_counter()
    latencies = asyncio.run(main())
    queue.put((latencies, time.perf_counter() - started))


def run_load(port: int, batches: list[list[Request]]) -> tuple[list[float], float]:
    """Send each batch on its own connection, all at once, from a separate process."""
    queue: mp.Queue = mp.Queue()
    process = mp.Process(target=_load, args=(port, batches, queue))
    process.start()
    latencies, elapsed = queue.get()
    process.join()
    return latencies, elapsed


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    port: int, pid: int, requests: list[Request], out: dict[str, list[float]], kind: str
) -> None:
    """One 1-client phase: its median latency and the server's CPU per request."""
    before = cpu_seconds(pid)
    latencies, _ = run_load(port, [requests])
    out[kind].append(pct(latencies, 0.5))
    out[f"{kind} p99"].append(pct(latencies, 0.99))
    out[f"{kind} cpu"].append((cpu_seconds(pid) - before) / len(requests) * 1000)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def count_statements(seeded: Path, prompts: int, versions: int) -> dict[str, float]:
    """SQL statements per write, in this process, through the app on a copy of the seed."""
    import warnings

    from sqlalchemy import event

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's note on httpx
        from fastapi.testclient import TestClient

    from promptyard.config import Settings
    from promptyard.server.app import create_app
    from promptyard.services.identity import auth
    from promptyard.store import migrate
    from promptyard.wiring import build_core

    workdir = Path(tempfile.mkdtemp(prefix="promptyard-bench-sql-"))
    try:
        shutil.copyfile(seeded, workdir / "promptyard.db")
        settings = Settings(
            data_dir=workdir,
            database_url=f"sqlite:///{workdir / 'promptyard.db'}",
            init_api_key=API_KEY,
        )
        core = build_core(settings, entry_points=False)
        migrate.upgrade(core.store)  # a seed made before the latest migration
        auth.bootstrap(core)
        statements: list[str] = []

        def on_execute(*args: Any) -> None:
            statements.append(args[2])

        for engine in {core.store.read_engine, core.store.write_engine}:
            event.listen(engine, "before_cursor_execute", on_execute)
        headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
        results: dict[str, float] = {}
        with TestClient(create_app(core, static_dir=None), headers=headers) as client:
            kinds: list[tuple[str, Callable[[int, int], list[Request]]]] = [
                ("version create", lambda s, n: version_requests(prompts, s, n)),
                ("label move", lambda s, n: label_requests(prompts, s, n, versions)),
                ("no-op write", lambda s, n: noop_requests(prompts, s, n)),
            ]
            for kind, make in kinds:
                for method, path, body in make(0, 5):  # warm the actor and project caches
                    client.request(method, path, content=body).raise_for_status()
                statements.clear()
                measured = make(5, 20)
                for method, path, body in measured:
                    client.request(method, path, content=body).raise_for_status()
                results[kind] = len(statements) / len(measured)
        core.store.dispose()
        return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def seeded_database(prompts: int, versions: int) -> Path:
    """The seed database (made once, then reused from ``bench/results/``)."""
    SEED_CACHE.mkdir(exist_ok=True)
    seeded = SEED_CACHE / f"seed-{prompts}x{versions}.db"
    if not seeded.exists():
        print(f"seeding {prompts} prompts x {versions} versions ...", file=sys.stderr)
        partial = seeded.with_suffix(".partial")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        seed(partial, prompts, versions)
        partial.rename(seeded)
    return seeded


def start_server(seeded: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    """``promptyard serve`` on a copy of the seed: ``(process, port, data folder)``."""
    workdir = Path(tempfile.mkdtemp(prefix="promptyard-bench-"))
    shutil.copyfile(seeded, workdir / "promptyard.db")
    server, port = serve(workdir)
    return server, port, workdir


def serve(workdir: Path, api_key: str = API_KEY) -> tuple[subprocess.Popen[bytes], int]:
    """``promptyard serve`` on the data folder ``workdir`` in its own process, once it
    answers: ``(process, port)``."""
    port = free_port()
    env = {**os.environ, "PROMPTYARD_DATA_DIR": str(workdir), "PROMPTYARD_INIT_API_KEY": api_key}
    server = subprocess.Popen(
        [sys.executable, "-m", "promptyard", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


Phases = tuple[dict[str, list[float]], dict[str, tuple[list[float], float]]]


def run_phases(port: int, pid: int, args: argparse.Namespace) -> Phases:
    """The 1-client rounds (per kind: medians, p99s, CPU per request) and the
    concurrent phases (per kind: latencies, elapsed seconds)."""
    n, p, v, c = args.writes, args.prompts, args.versions, args.clients
    run_load(port, [version_requests(p, 0, 50)])  # warm-up: caches, connections
    run_load(port, [label_requests(p, 0, 50, v)])
    run_load(port, [noop_requests(p, 0, 50)])
    one: dict[str, list[float]] = {}
    for kind in ("version create", "label move", "no-op write"):
        for suffix in ("", " p99", " cpu"):
            one[kind + suffix] = []
    start = 50
    for _ in range(args.rounds):
        measure(port, pid, version_requests(p, start, n), one, "version create")
        measure(port, pid, label_requests(p, start, n, v), one, "label move")
        measure(port, pid, noop_requests(p, start, n), one, "no-op write")
        start += n
    # Each client writes its own prompts, so every label PUT is a real move.
    many = {
        "version create": run_load(port, by_prompt(version_requests(p, start, c * n), start, p, c)),
        "label move": run_load(port, by_prompt(label_requests(p, start, c * n, v), start, p, c)),
    }
    return one, many


def print_table(args: argparse.Namespace, phases: Phases, statements: dict[str, float]) -> None:
    one, many = phases
    c = args.clients

    def ms(kind: str) -> str:
        values = one[kind]
        return f"{median(values):.2f} ms ({min(values):.2f}-{max(values):.2f})"

    rows = [("data set", f"{args.prompts} prompts x {args.versions} versions (SQLite)", "")]
    for kind, target in (("version create", "<= 3 ms"), ("label move", "<= 2 ms")):
        latencies, elapsed = many[kind]
        rows += [
            (f"{kind}, 1 client: median", ms(kind), target),
            (f"{kind}, 1 client: p99", ms(f"{kind} p99"), ""),
            (f"{kind}: server CPU per write", ms(f"{kind} cpu"), ""),
            (f"{kind}, {c} clients: writes/s", f"{len(latencies) / elapsed:.0f}", ""),
            (f"{kind}, {c} clients: p99", f"{pct(latencies, 0.99):.2f} ms", ""),
            (f"{kind}: SQL statements", f"{statements[kind]:.1f}", ""),
        ]
    rows += [
        ("no-op write (PATCH {}), 1 client: median", ms("no-op write"), ""),
        ("no-op write: server CPU per request", ms("no-op write cpu"), ""),
        ("no-op write: SQL statements", f"{statements['no-op write']:.1f}", ""),
        ("load average (1 min) at the end", f"{os.getloadavg()[0]:.1f}", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)} | {'result':>38} | target")
    print(f"{'-' * width}-|-{'-' * 38}-|-------")
    for name, value, target in rows:
        print(f"{name.ljust(width)} | {value:>38} | {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=1_000)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--writes", type=int, default=2_000, help="writes per measured phase")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="1-client rounds (median kept)")
    args = parser.parse_args()
    seeded = seeded_database(args.prompts, args.versions)
    server, port, workdir = start_server(seeded)
    try:
        phases = run_phases(port, server.pid, args)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(args, phases, count_statements(seeded, args.prompts, args.versions))


if __name__ == "__main__":
    main()
