"""`promptyard prompt history|diff|label|labels|rollback|branch|merge`."""

from __future__ import annotations

import pytest

from tests.cli._cli import Cli


@pytest.fixture
def prompt(cli: Cli, name: str) -> str:
    cli("prompt", "create", name, "-c", "Hello world\n", "--temperature", "0.7")
    cli("prompt", "update", name, "-c", "Hello there world\n", "-m", "there")
    cli(
        "prompt",
        "update",
        name,
        "-c",
        "Hello {{ name }}\n",
        "--temperature",
        "0.2",
        "-m",
        "variable",
    )
    return name


def test_history(cli: Cli, prompt: str) -> None:
    page = cli.json("prompt", "history", prompt)
    assert [v["number"] for v in page["items"]] == [3, 2, 1]
    table = cli("prompt", "history", prompt).stdout
    assert "v3" in table and "variable" in table and "there" in table
    limited = cli("prompt", "history", prompt, "--limit", "1").stdout
    assert "1 of 3 versions" in limited
    assert cli.json("prompt", "history", prompt, "--branch", "main")["total"] == 3


def test_diff(cli: Cli, prompt: str) -> None:
    shown = cli("prompt", "diff", prompt, "1", "3").stdout
    assert "-Hello world" in shown
    assert "+Hello {{ name }}" in shown
    assert "config temperature: 0.7 → 0.2" in shown
    assert "insertion" in shown
    full = cli.json("prompt", "diff", prompt, "1", "3")
    assert full["from"] == 1 and full["to"] == 3 and "spans" in full
    same = cli("prompt", "diff", prompt, "2", "2").stdout
    assert "identical" in same
    missing = cli("prompt", "diff", prompt, "1", "9", code=1)
    assert missing.stderr.startswith("error:")


def test_label(cli: Cli, prompt: str) -> None:
    assert f"{prompt}: production → v2" in cli("prompt", "label", prompt, "production", "2").stdout
    moved = cli.json("prompt", "label", prompt, "production", "3")
    assert moved["name"] == "production" and moved["version"] == 3
    labels = cli.json("prompt", "labels", prompt)
    assert {item["name"]: item["version"] for item in labels["items"]} == {
        "latest": 3,
        "production": 3,
    }
    assert "production" in cli("prompt", "labels", prompt).stdout
    events = cli.json("prompt", "labels", prompt, "--events", "--label", "production")
    assert [(e["from_version"], e["to_version"]) for e in events["items"]] == [(2, 3), (None, 2)]
    assert "production" in cli("prompt", "labels", prompt, "--events").stdout
    removed = cli("prompt", "label", prompt, "production", "--delete")
    assert "removed label production" in removed.stdout
    assert cli.json("prompt", "label", prompt, "staging", "1")["version"] == 1
    assert cli.json("prompt", "label", prompt, "staging", "--delete") == {"deleted": "staging"}
    cli("prompt", "label", prompt, "production", code=2)
    cli("prompt", "label", prompt, "production", "1", "--delete", code=2)
    latest = cli("prompt", "label", prompt, "latest", "1", code=1)
    assert "latest" in latest.stderr


def test_rollback(cli: Cli, prompt: str) -> None:
    result = cli("prompt", "rollback", prompt, "1", "-m", "undo")
    assert f"rolled {prompt} back to v1 as v4" in result.stdout
    version = cli.json("prompt", "get", prompt)["version"]
    assert version["content"] == "Hello world\n" and version["message"] == "undo"
    rolled = cli.json("prompt", "rollback", prompt, "2", "--base-version", "4")
    assert rolled["latest_version"] == 5
    stale = cli("prompt", "rollback", prompt, "2", "--base-version", "4", code=1)
    assert "error:" in stale.stderr


def test_branch_and_merge(cli: Cli, name: str) -> None:
    cli("prompt", "create", name, "-c", "one\ntwo\nthree\n")
    created = cli("prompt", "branch", name, "exp", "--from", "1")
    assert f"created branch exp of {name} at v1" in created.stdout
    cli("prompt", "update", name, "-c", "one\ntwo\nTHREE\n", "--branch", "exp")
    cli("prompt", "update", name, "-c", "ONE\ntwo\nthree\n")
    branches = cli.json("prompt", "branch", name)
    assert [b["name"] for b in branches["items"]] == ["main", "exp"]
    assert "exp" in cli("prompt", "branch", name).stdout
    merged = cli("prompt", "merge", name, "exp", "-m", "merge exp")
    assert f"merged exp into main of {name} as v4" in merged.stdout
    assert cli.json("prompt", "get", name)["version"]["content"] == "ONE\ntwo\nTHREE\n"
    # A branch from latest by default, and --json answers.
    fresh = cli.json("prompt", "branch", name, "next")
    assert fresh["head"] == 4
    assert cli.json("prompt", "branch", name, "next", "--delete") == {"deleted": "next"}
    assert "deleted branch exp" in cli("prompt", "branch", name, "exp", "--delete").stdout
    cli("prompt", "branch", name, "--delete", code=2)


def test_merge_conflict(cli: Cli, name: str) -> None:
    cli("prompt", "create", name, "-c", "base\n")
    cli("prompt", "branch", name, "other", "--from", "1")
    cli("prompt", "update", name, "-c", "ours\n")
    cli("prompt", "update", name, "-c", "theirs\n", "--branch", "other")
    result = cli("prompt", "merge", name, "other", code=1)
    assert result.stderr.startswith("error: merging 'other' into 'main' conflicts")
    assert "conflict in" in result.stderr
    merged_json = cli("prompt", "merge", name, "other", "--json", code=1)
    assert merged_json.stdout == ""
