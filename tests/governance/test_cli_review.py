"""`promptyard review …` against a live server."""

from __future__ import annotations

import pytest

from promptyard.services.context import Core
from tests.cli._cli import Cli
from tests.conftest import API_KEY, LiveServer
from tests.governance._helpers import make_key


def test_review_commands_end_to_end(live_server: LiveServer, core: Core) -> None:
    env = {"PROMPTYARD_URL": live_server.url, "PROMPTYARD_API_KEY": API_KEY, "COLUMNS": "200"}
    cli = Cli(env)
    cli("prompt", "create", "greet", "--content", "Hello {{ name }}")
    policy = cli.json(
        "review",
        "policy",
        "--set",
        "require_review=true",
        "--set",
        "gates.renders_with_samples=true",
    )
    assert policy["require_review"] is True
    assert "require_review: true" in cli("review", "policy").stdout

    failed = cli("review", "open", "greet", "1", code=1)
    assert "gate" in failed.stderr
    opened = cli.json("review", "open", "greet", "1", "--var", "name=Ada", "-d", "first")
    request_id = str(opened["id"])
    assert opened["status"] == "open"
    cli("review", "comment", request_id, "--comment", "please check")
    assert "please check" in cli("review", "show", request_id).stdout
    assert request_id in cli("review", "list", "--status", "open").stdout
    cli("review", "approve", request_id, code=1)  # the author cannot approve

    reviewer = make_key(core, "cli-reviewer")["Authorization"].removeprefix("Bearer ")
    as_reviewer = Cli({**env, "PROMPTYARD_API_KEY": reviewer})
    sent_back = as_reviewer.json("review", "request-changes", request_id, "-c", "tone")
    assert sent_back["status"] == "changes_requested"
    assert as_reviewer.json("review", "approve", request_id)["status"] == "approved"
    applied = cli.json("review", "apply", request_id)
    assert applied["status"] == "applied"
    assert cli.json("prompt", "get", "greet", "--label", "production")["version"]["number"] == 1

    second = cli.json("review", "open", "greet", "1", "--label", "staging", "--var", "name=x")
    assert cli.json("review", "close", str(second["id"]))["status"] == "closed"


def test_prompt_lifecycle_and_impact_commands(live_server: LiveServer) -> None:
    env = {"PROMPTYARD_URL": live_server.url, "PROMPTYARD_API_KEY": API_KEY, "COLUMNS": "200"}
    cli = Cli(env)
    cli("prompt", "create", "tone", "--content", "Be kind.")
    cli("prompt", "create", "reply", "--content", 'Hi. {% include "prompt:tone@latest" %}')

    impact = cli.json("prompt", "impact", "tone")
    assert [d["prompt"] for d in impact["dependents"]] == ["reply"]
    assert impact["dependents"][0]["reference"] == "prompt:tone@latest"
    assert impact["lifecycle"] == "draft"
    table = cli("prompt", "impact", "tone").stdout
    assert "reply" in table and "prompt:tone@latest" in table

    assert cli.json("prompt", "lifecycle", "tone", "deprecated")["lifecycle"] == "deprecated"
    with pytest.warns(DeprecationWarning, match="'tone' is deprecated"):
        assert cli.json("prompt", "get", "tone")["lifecycle"] == "deprecated"
    assert "deprecated" in cli("prompt", "impact", "tone").stdout
    bad = cli("prompt", "lifecycle", "tone", "vanished", code=1)
    assert "error" in bad.stderr
