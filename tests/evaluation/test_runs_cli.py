"""`promptyard eval run` against a live server whose background job executes the run:
exit status, JUnit XML, the markdown summary; and the SDK's methods underneath."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from promptyard.client import Client
from promptyard.services.context import Core
from tests._server import LiveServer
from tests.cli._cli import Cli
from tests.evaluation._runs_helpers import make_dataset


@pytest.fixture
def cli(live_server: LiveServer, core: Core) -> Cli:
    headers = {"Authorization": f"Bearer {live_server.api_key}"}
    with httpx.Client(base_url=f"{live_server.url}/api/v1", headers=headers) as http:
        assert http.post("/prompts", json={"name": "greet", "content": "{{ text }}"}).is_success
        answer = http.patch("/prompts/greet", json={"content": "{{ text | upper }}"})
        assert answer.is_success
        for label, version in (("production", 1), ("staging", 2)):
            assert http.put(f"/prompts/greet/labels/{label}", json={"version": version}).is_success
    make_dataset(core)
    return Cli({**live_server.env(), "PROMPTYARD_PROJECT": "default", "COLUMNS": "200"})


def _run(cli: Cli, tmp_path: Path, label: str, code: int) -> tuple[str, ET.Element, str]:
    junit, summary = tmp_path / f"{label}.xml", tmp_path / f"{label}.md"
    result = cli(
        "eval", "run", "--prompt", "greet", "--label", label, "--dataset", "words@1",
        "--evaluator", "exact_match", "--model", "fake/echo",
        "--fail-under", "exact_match=0.9", "--junit", str(junit), "--summary", str(summary),
        "--poll", "0.1", "--timeout", "60",
        code=code,
    )  # fmt: skip
    return result.stderr, ET.fromstring(junit.read_bytes()), summary.read_text()


def test_a_passing_run_exits_0_with_its_reports(cli: Cli, tmp_path: Path) -> None:
    stderr, junit, summary = _run(cli, tmp_path, "production", 0)
    thresholds, cases = junit.findall("testsuite")
    assert thresholds.get("failures") == "0" and thresholds.get("tests") == "1"
    assert cases.get("tests") == "6" and cases.get("failures") == "0"
    assert summary.startswith("### ✅ Evaluation of `greet` on `words` v1")
    assert "| production (v1) · fake/echo | exact_match | 1.000 |" in summary
    assert "threshold missed" not in stderr


def test_a_missed_threshold_exits_3_and_says_which(cli: Cli, tmp_path: Path) -> None:
    stderr, junit, summary = _run(cli, tmp_path, "staging", 3)
    assert "threshold missed: exact_match = 0.000 < 0.9 (staging (v2) · fake/echo)" in stderr
    thresholds, cases = junit.findall("testsuite")
    assert thresholds.get("failures") == "1"
    failure = thresholds.find("testcase/failure")
    assert failure is not None and "exact_match = 0.000 < 0.9" in failure.get("message", "")
    assert cases.get("failures") == "6"
    assert summary.startswith("### ❌")
    assert "**FAIL**" in summary and "`c0`" in summary


def test_a_threshold_for_an_unknown_evaluator_is_a_usage_error(cli: Cli) -> None:
    result = cli(
        "eval", "run", "--prompt", "greet", "--dataset", "words", "--evaluator", "exact_match",
        "--fail-under", "contains=0.5",
        code=2,
    )  # fmt: skip
    assert "no evaluator of that name" in result.stderr


def test_dry_run_prints_the_estimate(cli: Cli) -> None:
    result = cli(
        "eval", "run", "--prompt", "greet", "--version", "1", "--version", "2",
        "--model", "fake/echo", "--dataset", "words", "--evaluator", "exact_match", "--dry-run",
    )  # fmt: skip
    assert "12 calls (6 cases)" in result.stdout


def test_the_sdk_starts_waits_and_compares(live_server: LiveServer, cli: Cli) -> None:
    with Client(live_server.url, live_server.api_key, reporting=False) as client:
        first = client.start_evaluation(
            "greet", "words", ["exact_match"], versions=[1], models=["fake/echo"]
        )
        second = client.start_evaluation(
            "greet", "words", ["exact_match"], versions=[2], models=["fake/echo"]
        )
        for run in (first, second):
            finished = client.wait_for_evaluation(run["id"], poll=0.1, timeout=60)
            assert finished["status"] == "completed"
        compared = client.compare_evaluations(second["id"], first["id"])
        assert compared["evaluators"][0]["regressed_count"] == 6
        assert client.evaluation_results(first["id"], limit=2)["total"] == 6
        assert client.list_evaluations(prompt="greet")["total"] == 2
