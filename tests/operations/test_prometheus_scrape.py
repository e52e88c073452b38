"""A real Prometheus (Debian's package) scrapes a live Promptyard with the shipped rules."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from promptyard.services.context import Core
from tests._server import LiveServer, free_port, serve_core
from tests.operations._prometheus import RULES, tool

TOKEN = "scrape-token-0123456789abcdef"
DEADLINE = 90.0


@pytest.fixture
def server(core: Core) -> Iterator[LiveServer]:
    core.settings = core.settings.model_copy(update={"metrics_token": TOKEN})
    with serve_core(core) as live:
        yield live


@pytest.fixture
def prometheus(server: LiveServer, tmp_path: Path) -> Iterator[str]:
    """Prometheus scraping ``server`` every second with the scrape token and the rules."""
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": "promptyard",
                "metrics_path": "/metrics",
                "authorization": {"type": "Bearer", "credentials": TOKEN},
                "static_configs": [{"targets": [f"127.0.0.1:{server.port}"]}],
            },
            {  # the same server without the token: Prometheus must see it refused
                "job_name": "promptyard-no-token",
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [f"127.0.0.1:{server.port}"]}],
            },
        ],
    }
    config_file = tmp_path / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config))
    check = subprocess.run(
        [tool("promtool"), "check", "config", str(config_file)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    log = tmp_path / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                tool("prometheus"),
                f"--config.file={config_file}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _until(what: str, probe: Any, log: Path | None = None) -> Any:
    """Call ``probe()`` until it returns something truthy (or fail after DEADLINE s)."""
    deadline = time.monotonic() + DEADLINE
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except httpx.HTTPError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.5)
    extra = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}\n{extra}")


def _query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5)
    answer = response.raise_for_status().json()
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def test_a_real_prometheus_scrapes_the_server(
    server: LiveServer, prometheus: str, tmp_path: Path
) -> None:
    log = tmp_path / "prometheus.log"
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        made = client.post("/api/v1/prompts", json={"name": "greet", "content": "Hi"})
        assert made.status_code == 201, made.text
        for _ in range(3):
            assert client.get("/api/v1/prompts/greet").status_code == 200

    def targets() -> dict[str, dict[str, Any]] | None:
        # Until its storage is open Prometheus answers 503 in plain text: not yet, like a
        # refused connection (raise_for_status raises an httpx.HTTPError _until retries).
        answer = httpx.get(f"{prometheus}/api/v1/targets", timeout=5).raise_for_status().json()
        active = {t["labels"]["job"]: t for t in answer["data"]["activeTargets"]}
        done = all(t["health"] != "unknown" for t in active.values())
        return active if len(active) == 2 and done else None

    active = _until("both targets scraped", targets, log)
    assert active["promptyard"]["health"] == "up", active["promptyard"]
    refused = active["promptyard-no-token"]
    assert refused["health"] == "down" and "401" in refused["lastError"], refused

    reads = 'promptyard_http_requests_total{route="/api/v1/prompts/{name}",status="200"}'
    [series] = _until("the prompt reads' series", lambda: _query(prometheus, reads), log)
    assert series["metric"]["job"] == "promptyard"
    assert series["metric"]["method"] == "GET"
    assert float(series["value"][1]) == 3
    fast = _query(prometheus, 'promptyard_prompt_reads_total{served_by="fast_path"}')
    assert float(fast[0]["value"][1]) == 2
    # The shipped recording rules evaluate over what was scraped.
    recorded = _until(
        "a recording rule's series",
        lambda: _query(prometheus, "promptyard:http_requests:rate5m"),
        log,
    )
    assert {sample["metric"]["route"] for sample in recorded} >= {"/api/v1/prompts/{name}"}
    rules = httpx.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert all(rule["health"] == "ok" for group in rules for rule in group["rules"]), rules
    # Nothing is down, no worker job is failing: no alert fires.
    up = _query(prometheus, 'up{job="promptyard"}')
    assert float(up[0]["value"][1]) == 1
    firing = httpx.get(f"{prometheus}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    assert [alert["labels"]["alertname"] for alert in firing if alert["state"] == "firing"] == []
