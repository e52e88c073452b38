"""Benchmark: the SDK's cached ``get_prompt`` and local ``compile`` (issue 8).

Targets: cached ``get_prompt`` <= 5 us median; ``compile`` of a cached small template
<= 20 us median. The prompts are served once by an in-process ``httpx.MockTransport``
speaking the server's shapes (the cached path never touches the network, so a real
server would change nothing but the first read); every figure is the median and p99 of
single calls timed with ``time.perf_counter_ns``, after a warm-up.

A second table (``--watch``) starts ``promptyard serve`` in its own process, moves a
label back and forth through one client and times how long a second, watching client
(``watch=True``, TTL one hour) takes to serve the new version: from the start of the
``PUT .../labels/production`` call until ``get_prompt`` returns it. Target: <= 1 s p99.
Run: ``.venv/bin/python bench/sdk_cache.py [--watch]``.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import httpx

from promptyard.client import Client

SMALL = "Hello {{ name }}, you are {{ age }} years old."
TONE = "Be {{ tone | default('kind') }} and brief."
COMPOSED = 'System: {% include "prompt:tone@production" %}\nUser: {{ question }}'
CHAT = [
    {"role": "system", "content": "You help with {{ product }}."},
    {"role": "user", "content": "{{ question }}"},
]
PROMPTS: dict[str, tuple[str, object]] = {
    "small": ("text", SMALL),
    "tone": ("text", TONE),
    "composed": ("text", COMPOSED),
    "chat": ("chat", CHAT),
}


def _answer(request: httpx.Request) -> httpx.Response:
    name = request.url.path.rsplit("/", 1)[-1]
    kind, content = PROMPTS[name]
    body = {
        "name": name,
        "type": kind,
        "version": {
            "number": 1,
            "type": kind,
            "content": content,
            "config": {"model": "gpt-4o"},
            "labels": ["production"],
            "variables": [],
        },
    }
    return httpx.Response(200, content=json.dumps(body), headers={"etag": '"1"'})


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    for _ in range(1000):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - started)
    samples.sort()
    return statistics.median(samples) / 1000, samples[int(len(samples) * 0.99)] / 1000


def main(runs: int = 100_000) -> None:
    http = httpx.Client(transport=httpx.MockTransport(_answer))
    with Client("http://bench", "key", http_client=http) as client:
        client.prefetch(["small", "small@v1", "composed", "chat"])
        small = client.get_prompt("small")
        composed = client.get_prompt("composed")
        chat = client.get_prompt("chat")
        rows = [
            ("get_prompt, cached label", lambda: client.get_prompt("small"), 5),
            ("get_prompt, cached version", lambda: client.get_prompt("small", version=1), 5),
            (
                "get_prompt, cached, type checked",
                lambda: client.get_prompt("small", type="text"),
                5,
            ),
            ("compile, small text", lambda: small.compile(name="Ada", age=36), 20),
            ("compile, chat of 2 messages", lambda: chat.compile(product="P", question="Q"), None),
            ("compile, text with an include", lambda: composed.compile(question="Q"), None),
        ]
        print(f"{'measure':36} {'median us':>10} {'p99 us':>10} {'target':>10}")
        for title, fn, target in rows:
            median, p99 = measure(fn, runs)
            goal = f"<= {target}" if target else ""
            print(f"{title:36} {median:10.2f} {p99:10.2f} {goal:>10}")
    http.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def watch_latency(moves: int = 50) -> None:
    port, key = _free_port(), "py_bench_watch_key"
    env = {**os.environ, "PROMPTYARD_DATA_DIR": tempfile.mkdtemp(), "PROMPTYARD_INIT_API_KEY": key}
    command = [sys.executable, "-m", "promptyard", "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        with Client(url, key) as writer, Client(url, key, watch=True) as sdk:
            writer.create_prompt("moving", content="one")
            writer.update_prompt("moving", content="two")
            writer.set_label("moving", "production", 1)
            while not sdk.watching:
                time.sleep(0.01)
            sdk.get_prompt("moving", cache_ttl=3600)
            samples = []
            for index in range(moves):
                version, text = (2, "two") if index % 2 == 0 else (1, "one")
                started = time.perf_counter()
                writer.set_label("moving", "production", version)
                while sdk.get_prompt("moving", cache_ttl=3600).compile() != text:
                    time.sleep(0.0005)
                samples.append((time.perf_counter() - started) * 1000)
                time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(timeout=10)
    samples.sort()
    print(f"\n{'label move seen by a watching client':36} {'ms':>10}")
    print(f"{'median':36} {statistics.median(samples):10.1f}")
    print(f"{'p99 (of ' + str(moves) + ')':36} {samples[int(len(samples) * 0.99)]:10.1f}   <= 1000")
    print(f"{'max':36} {samples[-1]:10.1f}")


if __name__ == "__main__":
    main()
    if "--watch" in sys.argv:
        watch_latency()
