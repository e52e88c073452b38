"""`promptyard user|member|key …` against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._server import LiveServer, running_server
from tests.cli._cli import Cli


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("accounts-cli")) as live:
        yield live


def test_user_member_key_commands(server: LiveServer, tmp_path: Path) -> None:
    cli = Cli({**server.env(), "COLUMNS": "200"})
    user = cli.json(
        "user", "create", "ivy@example.com", "--role", "editor", "--password", "ivy password 123"
    )
    assert user["role"] == "editor"
    assert "ivy@example.com" in cli("user", "list").stdout
    assert cli.json("user", "disable", str(user["id"]))["is_active"] is False
    assert cli.json("user", "enable", str(user["id"]))["is_active"] is True
    cli("user", "reset-password", str(user["id"]), "--password", "another password 1")
    assert cli.json("member", "set-role", str(user["id"]), "viewer")["role"] == "viewer"
    members = cli.json("member", "list")["items"]
    assert any(m["email"] == "ivy@example.com" for m in members)

    created = cli("key", "create", "deploy", "--role", "editor").stdout
    secret = next(word for word in created.split() if word.startswith("py_"))
    listing = cli("key", "list").stdout
    assert "deploy" in listing and secret not in listing
    key_id = next(k["id"] for k in cli.json("key", "list")["items"] if k["name"] == "deploy")
    other = Cli({**server.env(), "PROMPTYARD_API_KEY": secret})
    assert other.json("key", "list")["items"][0]["name"] == "deploy"
    cli("key", "revoke", str(key_id))
    assert "invalid API key" in other("key", "list", code=1).stderr
    cli("member", "remove", str(user["id"]))
    result = cli("member", "remove", "999999", code=1)
    assert "not found" in result.stderr


def test_invite_list_accept_and_revoke(server: LiveServer) -> None:
    cli = Cli({**server.env(), "COLUMNS": "200"})
    invited = cli("member", "invite", "ned@example.com", "--role", "editor").stdout
    token = next(word for word in invited.split() if word.startswith("pyi_"))
    listing = cli("member", "invitations").stdout
    assert "ned@example.com" in listing and "pending" in listing and token not in listing
    anonymous = Cli({k: v for k, v in server.env().items() if k != "PROMPTYARD_API_KEY"})
    joined = anonymous("member", "accept", token, "--password", "ned's password 1", "--name", "Ned")
    assert "as editor" in joined.stdout
    reused = anonymous("member", "accept", token, "--password", "x" * 12, code=1)
    assert "already accepted" in reused.stderr
    statuses = {i["email"]: i["status"] for i in cli.json("member", "invitations")["items"]}
    assert statuses["ned@example.com"] == "accepted"
    other = cli.json("member", "invite", "ora@example.com")
    cli("member", "revoke-invitation", str(other["id"]))
    assert cli.json("member", "invitations")["items"][0]["status"] == "revoked"
