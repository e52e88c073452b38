"""`promptyard prompt update` sends the version it read: a concurrent edit is never lost."""

from __future__ import annotations

from typing import Any

import pytest

from promptyard.client import Client
from tests.cli._cli import Cli


def _edit_after_first_read(
    monkeypatch: pytest.MonkeyPatch, edit: Any, *, read: str = "get_prompt_details"
) -> None:
    """Run ``edit`` once, right after the command under test has read the prompt."""
    original = getattr(Client, read)
    pending = [edit]

    def read_then_edit(self: Client, *args: Any, **options: Any) -> Any:
        found = original(self, *args, **options)
        if pending:
            pending.pop()()
        return found

    monkeypatch.setattr(Client, read, read_then_edit)


def test_two_edits_from_the_same_version(
    cli: Cli, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("prompt", "create", name, "-c", "v1", "--model", "m1", "--temperature", "0.5")
    # Alice changes the temperature while Bob's command has read version 1 but not
    # written yet: Bob's config change is based on version 1, which is no longer the head.
    _edit_after_first_read(
        monkeypatch, lambda: cli("prompt", "update", name, "--temperature", "0.2")
    )
    stale = cli("prompt", "update", name, "--model", "m2", code=1)
    assert "based on version 1" in stale.stderr
    assert f"promptyard prompt diff {name} 1 2" in stale.stderr
    assert stale.stdout == ""
    latest = cli.json("prompt", "get", name)
    assert latest["latest_version"] == 2
    assert latest["version"]["config"] == {"model": "m1", "temperature": 0.2}
    # Run again, Bob's change applies on top of Alice's.
    again = cli.json("prompt", "update", name, "--model", "m2")
    assert again["version"]["config"] == {"model": "m2", "temperature": 0.2}


def test_content_edit_from_a_stale_read(
    cli: Cli, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("prompt", "create", name, "-c", "v1")
    _edit_after_first_read(monkeypatch, lambda: cli("prompt", "update", name, "-c", "alice"))
    cli("prompt", "update", name, "-c", "bob", code=1)
    assert cli.json("prompt", "get", name)["version"]["content"] == "alice"


def test_explicit_base_version_wins(cli: Cli, name: str) -> None:
    cli("prompt", "create", name, "-c", "v1", "--model", "m1")
    cli("prompt", "update", name, "-c", "v2")
    stale = cli("prompt", "update", name, "--model", "m2", "--base-version", "1", code=1)
    assert "based on version 1" in stale.stderr
    assert "--base-version 2" in stale.stderr
    updated = cli.json("prompt", "update", name, "--model", "m2", "--base-version", "2")
    assert updated["version"]["config"] == {"model": "m2"}


def test_edit_on_a_branch_from_a_stale_read(
    cli: Cli, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("prompt", "create", name, "-c", "v1", "--model", "m1")
    cli("prompt", "branch", name, "exp", "--from", "1")
    _edit_after_first_read(
        monkeypatch,
        lambda: cli("prompt", "update", name, "--branch", "exp", "--temperature", "0.3"),
        read="get_version",
    )
    stale = cli("prompt", "update", name, "--branch", "exp", "--max-tokens", "9", code=1)
    assert "on branch exp" in stale.stderr
    head = cli.json("prompt", "history", name, "--branch", "exp")["items"][0]
    assert (head["number"], head["config"]) == (2, {"model": "m1", "temperature": 0.3})
