"""First load of the console's library page with many prompts, in Debian's Chromium.

Starts `promptyard serve` on a fresh SQLite database (or uses --url), creates N prompts
through the API, then opens `/` in a fresh browser context (empty cache) several times
and measures, inside the page, when the first prompt rows are on screen. Also prints the
built bundle's sizes, gzipped.

    npm --prefix console ci && npm --prefix console run build
    python bench/console_load.py                    # 1,000 prompts, 7 runs
    python bench/console_load.py --prompts 5000 --runs 10

Needs: the console built into src/promptyard/static, /usr/bin/chromium, and the Python
`playwright` package (no `playwright install`).
"""

from __future__ import annotations

import argparse
import gzip
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "promptyard" / "static"
CHROMIUM = os.environ.get("PROMPTYARD_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KEY = "bench-key"
EMAIL = "admin@example.com"
PASSWORD = "bench-pass-123"

# Records, inside the page, the moment the first prompt rows are in the DOM.
WATCH_ROWS = """
(() => {
  const seen = () => {
    if (window.__rowsAt === undefined && document.querySelector('[data-testid="prompt-row"]')) {
      window.__rowsAt = performance.now();
      return true;
    }
    return false;
  };
  new MutationObserver((_, obs) => { if (seen()) obs.disconnect(); })
    .observe(document, {childList: true, subtree: true});
})();
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])
        ),
        "PROMPTYARD_DATA_DIR": str(data_dir),
        "PROMPTYARD_INIT_API_KEY": KEY,
        "PROMPTYARD_INIT_ADMIN_EMAIL": EMAIL,
        "PROMPTYARD_INIT_ADMIN_PASSWORD": PASSWORD,
    }
    env.pop("PROMPTYARD_DATABASE_URL", None)
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "promptyard", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=str(ROOT),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited:\n{(data_dir / 'server.log').read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    sys.exit("server did not start")


def seed(url: str, key: str, count: int) -> float:
    """Create `count` prompts (folders, tags, a few labels); returns the seconds it took."""
    folders = ["", "support", "support/email", "support/chat", "marketing", "internal/tools"]
    tags = ["email", "chat", "billing", "onboarding", "agent", "internal"]
    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {key}"}

    def make(i: int) -> None:
        with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=30) as client:
            body = {
                "name": f"prompt-{i:05d}",
                "type": "text",
                "content": f"Prompt {i}: answer {{{{ question }}}} for {{{{ customer }}}}.",
                "folder": folders[i % len(folders)],
                "tags": [tags[i % len(tags)], tags[(i * 7) % len(tags)]],
                "config": {"model": "fake/echo", "temperature": 0.2},
            }
            r = client.post("/prompts", json=body)
            if r.status_code != 201:
                raise RuntimeError(r.text)
            if i % 10 == 0:
                r = client.put(f"/prompts/prompt-{i:05d}/labels/production", json={"version": 1})
                r.raise_for_status()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(make, range(count)))
    return time.perf_counter() - started


def bundle_sizes() -> list[tuple[str, int, int]]:
    rows = []
    for path in sorted((STATIC / "assets").iterdir()):
        data = path.read_bytes()
        rows.append((path.name, len(data), len(gzip.compress(data, compresslevel=9))))
    index = (STATIC / "index.html").read_bytes()
    rows.append(("index.html", len(index), len(gzip.compress(index, compresslevel=9))))
    return rows


def measure(url: str, runs: int, expect_total: int) -> tuple[list[dict[str, float]], list[str]]:
    from playwright.sync_api import sync_playwright

    results: list[dict[str, float]] = []
    loaded: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        # one throw-away load so that the browser process itself is warm
        for run in range(runs + 1):
            context = browser.new_context(base_url=url, viewport={"width": 1440, "height": 900})
            login = context.request.post(
                "/api/v1/auth/login", data={"email": EMAIL, "password": PASSWORD}
            )
            assert login.ok, login.text()
            page = context.new_page()
            page.add_init_script(WATCH_ROWS)
            started = time.perf_counter()
            page.goto("/")
            page.wait_for_selector('[data-testid="prompt-row"]')
            wall = (time.perf_counter() - started) * 1000
            page.get_by_text(f"of {expect_total}").wait_for()
            timing = page.evaluate(
                """() => {
                  const nav = performance.getEntriesByType('navigation')[0];
                  const res = performance.getEntriesByType('resource');
                  return {
                    rows: window.__rowsAt,
                    dcl: nav.domContentLoadedEventEnd,
                    load: nav.loadEventEnd,
                    requests: res.length + 1,
                    js: res.filter(r => r.name.endsWith('.js')).map(r => r.name),
                    css: res.filter(r => r.name.endsWith('.css')).map(r => r.name),
                  };
                }"""
            )
            if run > 0:
                results.append(
                    {
                        "rows_ms": timing["rows"],
                        "wall_ms": wall,
                        "dcl_ms": timing["dcl"],
                        "load_ms": timing["load"],
                        "requests": timing["requests"],
                    }
                )
                loaded = [n.rsplit("/", 1)[-1] for n in timing["js"] + timing["css"]]
            context.close()
        browser.close()
    return results, loaded


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += [
        "  ".join(
            c.rjust(w) if c[:1].isdigit() else c.ljust(w) for c, w in zip(r, widths, strict=True)
        )
        for r in rows
    ]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not (STATIC / "index.html").is_file():
        sys.exit(
            "the console is not built: npm --prefix console ci && npm --prefix console run build"
        )

    with tempfile.TemporaryDirectory(prefix="promptyard-bench-") as tmp:
        proc, url = start_server(Path(tmp))
        try:
            seconds = seed(url, KEY, args.prompts)
            with httpx.Client(
                base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {KEY}"}
            ) as c:
                total = c.get("/prompts", params={"limit": 1}).json()["total"]
                api_ms = []
                for _ in range(20):
                    t = time.perf_counter()
                    c.get("/prompts", params={"limit": 50}).raise_for_status()
                    api_ms.append((time.perf_counter() - t) * 1000)
            results, loaded = measure(url, args.runs, total)
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    print(
        f"Promptyard console first load: library page, {total} prompts, loopback, "
        f"Chromium headless, {len(results)} cold runs (fresh context, empty cache)"
    )
    print(
        f"(seeded in {seconds:.1f} s; GET /api/v1/prompts?limit=50 median "
        f"{statistics.median(api_ms):.1f} ms)\n"
    )
    rows = [
        [
            str(i + 1),
            f"{r['rows_ms']:.0f}",
            f"{r['dcl_ms']:.0f}",
            f"{r['load_ms']:.0f}",
            f"{r['wall_ms']:.0f}",
            f"{r['requests']:.0f}",
        ]
        for i, r in enumerate(results)
    ]
    rows.append(
        [
            "median",
            *(
                f"{statistics.median(r[k] for r in results):.0f}"
                for k in ("rows_ms", "dcl_ms", "load_ms", "wall_ms", "requests")
            ),
        ]
    )
    rows.append(
        [
            "max",
            *(
                f"{max(r[k] for r in results):.0f}"
                for k in ("rows_ms", "dcl_ms", "load_ms", "wall_ms", "requests")
            ),
        ]
    )
    print(
        table(
            ["run", "rows visible ms", "DOMContentLoaded ms", "load ms", "wall ms", "requests"],
            rows,
        )
    )

    sizes = bundle_sizes()
    print("\nBuilt bundle (src/promptyard/static), gzip -9:\n")
    size_rows = [
        [
            name,
            f"{raw / 1024:.1f}",
            f"{gz / 1024:.1f}",
            "yes" if name in loaded or name == "index.html" else "",
        ]
        for name, raw, gz in sorted(sizes, key=lambda s: -s[2])
    ]
    first = [s for s in sizes if s[0] in loaded or s[0] == "index.html"]
    size_rows.append(
        [
            "first load of the library (total)",
            f"{sum(s[1] for s in first) / 1024:.1f}",
            f"{sum(s[2] for s in first) / 1024:.1f}",
            "",
        ]
    )
    size_rows.append(
        [
            "all files (total)",
            f"{sum(s[1] for s in sizes) / 1024:.1f}",
            f"{sum(s[2] for s in sizes) / 1024:.1f}",
            "",
        ]
    )
    print(table(["file", "KiB", "KiB gzip", "loaded by library"], size_rows))
    median = statistics.median(r["rows_ms"] for r in results)
    print(
        f"\nmedian first load (rows visible): {median:.0f} ms, "
        f"{'within' if median < 1000 else 'OVER'} the 1 s budget"
    )


if __name__ == "__main__":
    main()
