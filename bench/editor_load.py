"""Cold load of a prompt's editor page to its visible template, in Debian's Chromium.

Starts `promptyard serve` on a fresh SQLite database, creates one prompt with a
40-line template, then opens `/p/default/prompts/<name>` in a fresh browser context
(empty cache, signed in by cookie) several times and measures, inside the page, when the
template's text is visible (the plain-text preview shown while the editor loads, or the
editor) and when it is in the editor, ready to edit. Also shows when the prompt's JSON
and the editor's code chunk arrived.

    npm --prefix console ci && npm --prefix console run build
    python bench/editor_load.py              # 9 runs
    python bench/editor_load.py --runs 15

Needs: the console built into src/promptyard/static, /usr/bin/chromium, and the Python
`playwright` package (no `playwright install`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from console_load import (  # the sibling bench script: server and table helpers
    ARGS,
    CHROMIUM,
    EMAIL,
    KEY,
    PASSWORD,
    STATIC,
    start_server,
    table,
)

NAME = "support-reply"
MARKER = "You are the support desk of {{ company }}."
TEMPLATE = "\n".join(
    [MARKER]
    + [f"Line {i}: answer {{{{ question }}}} for {{{{ customer }}}} politely." for i in range(39)]
)

# Records, inside the page, the moments the template's first line is visible (in the
# preview or the editor) and in the editor.
WATCH_TEMPLATE = f"""
(() => {{
  const marker = {MARKER!r};
  const seen = () => {{
    const now = performance.now();
    if (window.__templateAt === undefined) {{
      const preview = document.querySelector('.template-preview-text');
      if (preview && preview.textContent.startsWith(marker)) window.__templateAt = now;
    }}
    for (const line of document.querySelectorAll('.cm-content .cm-line')) {{
      if (line.textContent === marker) {{
        if (window.__templateAt === undefined) window.__templateAt = now;
        window.__editorAt = now;
        return true;
      }}
    }}
    return false;
  }};
  new MutationObserver((_, obs) => {{ if (seen()) obs.disconnect(); }})
    .observe(document, {{childList: true, subtree: true, characterData: true}});
}})();
"""

TIMINGS = """() => {
  const res = performance.getEntriesByType('resource');
  const end = (pred) => {
    const hit = res.find(pred);
    return hit ? hit.responseEnd : null;
  };
  const start = (pred) => {
    const hit = res.find(pred);
    return hit ? hit.startTime : null;
  };
  const isPrompt = (r) => /\\/api\\/v1\\/prompts\\/[^/?]+(\\?|$)/.test(r.name);
  const isChunk = (r) => /EditorPage-[^/]*\\.js$/.test(r.name);
  return {
    template: window.__templateAt,
    editor: window.__editorAt,
    prompt_start: start(isPrompt),
    prompt_end: end(isPrompt),
    chunk_start: start(isChunk),
    chunk_end: end(isChunk),
    requests: res.length + 1,
  };
}"""

COLUMNS = ("template", "editor", "prompt_start", "prompt_end", "chunk_start", "chunk_end", "wall")


def seed(url: str) -> None:
    with httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {KEY}"}) as c:
        body = {
            "name": NAME,
            "type": "text",
            "content": TEMPLATE,
            "config": {"model": "fake/echo", "temperature": 0.2},
        }
        c.post("/prompts", json=body).raise_for_status()


def measure(url: str, runs: int) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    results: list[dict[str, float]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for run in range(runs + 1):  # the first, throw-away load warms the browser process
            context = browser.new_context(base_url=url, viewport={"width": 1440, "height": 900})
            login = context.request.post(
                "/api/v1/auth/login", data={"email": EMAIL, "password": PASSWORD}
            )
            assert login.ok, login.text()
            page = context.new_page()
            page.add_init_script(WATCH_TEMPLATE)
            started = time.perf_counter()
            page.goto(f"/p/default/prompts/{NAME}")
            page.locator(".cm-content .cm-line", has_text=MARKER).wait_for()
            wall = (time.perf_counter() - started) * 1000
            timing = page.evaluate(TIMINGS)
            timing["wall"] = wall
            if run > 0:
                results.append(timing)
            context.close()
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    if not (STATIC / "index.html").is_file():
        sys.exit(
            "the console is not built: npm --prefix console ci && npm --prefix console run build"
        )
    with tempfile.TemporaryDirectory(prefix="promptyard-bench-") as tmp:
        proc, url = start_server(Path(tmp))
        try:
            seed(url)
            results = measure(url, args.runs)
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    print(
        f"Promptyard editor cold load: /p/default/prompts/{NAME} (40-line template), loopback, "
        f"Chromium headless, {len(results)} cold runs (fresh context, empty cache)\n"
    )

    def cell(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    rows = [[str(i + 1), *(cell(r[k]) for k in COLUMNS)] for i, r in enumerate(results)]
    for label, pick in (("median", statistics.median), ("max", max)):
        values = [[r[k] for r in results if r[k] is not None] for k in COLUMNS]
        rows.append([label, *(cell(pick(v) if v else None) for v in values)])
    print(
        table(
            [
                "run",
                "template visible ms",
                "in the editor ms",
                "prompt GET start",
                "prompt GET end",
                "editor chunk start",
                "editor chunk end",
                "wall ms",
            ],
            rows,
        )
    )
    print(
        "\nAll times from navigation start (performance.now() in the page); "
        "'wall' includes Playwright's own round-trips."
    )


if __name__ == "__main__":
    main()
