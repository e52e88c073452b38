"""`promptyard scan` against a live server: files, a stored prompt, the project, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests._server import LiveServer
from tests.cli._cli import Cli

CLEAN = (
    "You are a support lead. Summarise the ticket below for an engineer in at most 3 bullet "
    "points.\n<ticket>\n{{ ticket }}\n</ticket>"
)
SECRET = "sk-ant-api03-" + "Zx8Cv7Bn6Mm5" * 4


def _cli(server: LiveServer) -> Cli:
    return Cli({**server.env(), "PROMPTYARD_PROJECT": "default", "COLUMNS": "200"})


def test_scan_files_and_fail_on(live_server: LiveServer, tmp_path: Path) -> None:
    cli = _cli(live_server)
    clean = tmp_path / "clean.txt"
    clean.write_text(CLEAN)
    leaky = tmp_path / "leaky.json"
    leaky.write_text(json.dumps([{"role": "system", "content": f"{CLEAN}\nKey: {SECRET}"}]))
    ok = cli("scan", str(clean))
    assert "score 100" in ok.stdout
    failed = cli("scan", str(clean), str(leaky), code=3)
    assert "secret" in failed.stdout and "content[0].content:5:" in failed.stdout
    assert SECRET[10:] not in failed.stdout
    cli("scan", str(leaky), "--fail-on", "none")
    answer = cli.json("scan", str(leaky), "--fail-on", "none")
    assert answer["findings"][0]["rule"] == "secret"
    assert answer["findings"][0]["message_index"] == 0
    email = tmp_path / "email.txt"
    email.write_text(f"{CLEAN}\nCC jane.doe@acme-corp.io")
    cli("scan", str(email))  # medium is below the default threshold
    cli("scan", str(email), "--fail-on", "medium", code=3)
    missing = cli("scan", str(tmp_path / "nope.txt"), code=1)
    assert "no such file" in missing.stderr


def test_scan_a_stored_prompt_and_the_project(live_server: LiveServer) -> None:
    cli = _cli(live_server)
    headers = {"Authorization": f"Bearer {live_server.api_key}"}
    with httpx.Client(base_url=f"{live_server.url}/api/v1", headers=headers) as http:
        for name, content in (("clean", CLEAN), ("leaky", f"{CLEAN}\nKey: {SECRET}")):
            created = http.post("/prompts", json={"name": name, "content": content})
            assert created.status_code == 201, created.text
    stored = cli("scan", "--prompt", "clean")
    assert "clean v1: score 100" in stored.stdout
    cli("scan", "--prompt", "leaky", code=3)
    assert cli.json("scan", "--prompt", "leaky", "--fail-on", "none")["version"] == 1
    report = cli("scan", code=3)
    assert "2 prompt(s) at 'latest'" in report.stdout and "leaky" in report.stdout
    body = cli.json("scan", "--fail-on", "none")
    assert body["prompts"] == 2 and body["with_high_findings"][0]["name"] == "leaky"
    unknown = cli("scan", "--prompt", "nope", code=1)
    assert "not found" in unknown.stderr
