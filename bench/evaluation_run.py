"""An evaluation run's throughput against its ideal, and the server's memory meanwhile.

Starts ``promptyard serve`` (SQLite) in its own process, creates a prompt with two
versions, a ``fake`` connection answering after ``--latency-ms`` (default 50) with
``max_concurrency`` = ``--concurrency`` (default 100), and a dataset of ``--cases``
cases (default 10,000); then starts a run of both versions (``use_cache`` off, so every
item is a call) with that concurrency and polls it until it is completed, sampling the
server's resident memory (``/proc/<pid>/status`` VmRSS) every 0.2 s.

Ideal = cases x variants x latency / concurrency. The run's time is the server's own
(``started_at`` to ``finished_at``: calls, generations, scores, summary), and the wall
time from the POST to completion is printed as well.

    python bench/evaluation_run.py
    python bench/evaluation_run.py --cases 2000 --latency-ms 20 --concurrency 50

Prints a table; targets: within 15 % of the ideal, RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from registry_write import API_KEY, serve

IMPORT_CHUNK = 5000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_dataset(client: httpx.Client, name: str, cases: int) -> None:
    """The dataset, created with its first chunk of cases and grown chunk by chunk."""
    rows = [
        {"id": f"c{i:05d}", "input": {"text": f"case number {i}"}, "expected": f"case number {i}"}
        for i in range(cases)
    ]
    client.post("/datasets", json={"name": name, "cases": rows[:IMPORT_CHUNK]}).raise_for_status()
    for start in range(IMPORT_CHUNK, cases, IMPORT_CHUNK):
        client.post(
            f"/datasets/{name}/cases", json={"cases": rows[start : start + IMPORT_CHUNK]}
        ).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="promptyard-evalrun-"))
    server, port = serve(workdir)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}/api/v1",
            headers={"Authorization": f"Bearer {API_KEY}"},
            params={"project": "default"},
            timeout=120,
        ) as client:
            client.post(
                "/prompts", json={"name": "bench", "content": "{{ text }}"}
            ).raise_for_status()
            client.patch("/prompts/bench", json={"content": "Say: {{ text }}"}).raise_for_status()
            client.post(
                "/providers",
                json={
                    "name": "bench",
                    "kind": "fake",
                    "options": {"latency_ms": args.latency_ms},
                    "max_concurrency": args.concurrency,
                },
            ).raise_for_status()
            make_dataset(client, "bench", args.cases)
            rss_before = rss_mb(server.pid)
            cpu_before = cpu_seconds(server.pid)
            posted = time.perf_counter()
            created = client.post(
                "/evaluations",
                json={
                    "prompt": "bench",
                    "versions": [1, 2],
                    "models": ["bench/echo"],
                    "dataset": "bench",
                    "evaluators": [{"kind": "exact_match"}],
                    "concurrency": args.concurrency,
                    "use_cache": False,
                },
            )
            created.raise_for_status()
            run_id = created.json()["id"]
            peak = rss_before
            while True:
                peak = max(peak, rss_mb(server.pid))
                run = client.get(f"/evaluations/{run_id}").json()
                if run["status"] in ("completed", "failed", "cancelled"):
                    break
                time.sleep(0.2)
            wall = time.perf_counter() - posted
            cpu = cpu_seconds(server.pid) - cpu_before
            peak = max(peak, rss_mb(server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)

    if run["status"] != "completed":
        raise SystemExit(f"run {run_id} ended {run['status']}: {run.get('error')}")
    started = datetime.fromisoformat(run["started_at"])
    finished = datetime.fromisoformat(run["finished_at"])
    took = (finished - started).total_seconds()
    items = run["progress"]["total"]
    ideal = items * args.latency_ms / 1000 / args.concurrency
    rows = [
        ("calls (cases x variants)", f"{items:,}"),
        ("latency per call", f"{args.latency_ms:g} ms"),
        ("concurrency", str(args.concurrency)),
        ("ideal time", f"{ideal:.2f} s"),
        ("run time (server: started -> finished)", f"{took:.2f} s"),
        ("over ideal", f"{100 * (took / ideal - 1):+.1f} % (target <= +15 %)"),
        ("wall time (POST -> completed seen)", f"{wall:.2f} s"),
        ("throughput", f"{items / took:,.0f} calls/s"),
        ("server CPU time for the run", f"{cpu:.2f} s ({1e6 * cpu / items:,.0f} us a call)"),
        ("machine load average (1 min) at the end", f"{os.getloadavg()[0]:.1f}"),
        ("server RSS before the run", f"{rss_before:.0f} MB"),
        ("server RSS peak during the run", f"{peak:.0f} MB (target <= 300 MB)"),
        ("done / failed", f"{run['progress']['done']:,} / {run['progress']['failed']:,}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
