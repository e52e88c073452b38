"""scripts/healthcheck.py against a live server: service checks, the score, the journey."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from promptyard.services.context import Core
from promptyard.services.operations.backup import create_backup
from tests._server import LiveServer, free_port
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.operations._prometheus import ROOT

SCRIPT = ROOT / "scripts" / "healthcheck.py"


@pytest.fixture(autouse=True)
def _backed_up(core: Core) -> None:
    """A server with a fresh backup: otherwise the health score is rightly yellow."""
    create_backup(core.settings)


def _run(*args: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def _seed(server: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        made = client.post(
            "/api/v1/prompts", json={"name": "support-reply", "content": "Dear {{ customer }}"}
        )
        assert made.status_code == 201, made.text
        moved = client.put("/api/v1/prompts/support-reply/labels/production", json={"version": 1})
        assert moved.status_code == 200, moved.text


def test_service_checks_and_score(live_server: LiveServer) -> None:
    status, report = _run("--url", live_server.url)
    assert status == 0, report
    assert [step["name"] for step in report["steps"]] == ["healthz", "readyz"]
    status, report = _run("--url", live_server.url, "--api-key", live_server.api_key)
    assert status == 0, report
    score = report["steps"][-1]
    assert score["name"] == "health score" and "score" in score["detail"]
    assert all(step["ms"] >= 0 for step in report["steps"])


def test_the_critical_journey(live_server: LiveServer) -> None:
    _seed(live_server)
    journey = ["--journey", "--prompt", "support-reply", "--variables", '{"customer": "Ada"}']
    for credentials in (
        ["--api-key", live_server.api_key],
        ["--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD],
    ):
        status, report = _run("--url", live_server.url, *credentials, *journey)
        assert status == 0, json.dumps(report, indent=1)
        names = [step["name"] for step in report["steps"]]
        assert names[-4:] == [
            "sign in",
            "fetch support-reply@production",
            "render",
            "execute on fake/echo",
        ]
        assert "version 1" in report["steps"][-3]["detail"]
        assert "tokens" in report["steps"][-1]["detail"]
        assert report["total_ms"] >= sum(step["ms"] for step in report["steps"]) * 0.5


def test_failures_are_critical(live_server: LiveServer) -> None:
    status, report = _run("--url", f"http://127.0.0.1:{free_port()}")
    assert status == 2 and report["status"] == "CRITICAL"
    assert "ConnectError" in report["steps"][0]["detail"]
    status, report = _run(
        "--url", live_server.url, "--api-key", live_server.api_key,
        "--journey", "--prompt", "missing-prompt",
    )  # fmt: skip
    assert status == 2
    fetch = report["steps"][-1]
    assert fetch["status"] == "CRITICAL" and "HTTP 404" in fetch["detail"]
    bad = subprocess.run(
        [sys.executable, str(SCRIPT), "--journey"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 3 and "--journey needs --prompt" in bad.stderr
