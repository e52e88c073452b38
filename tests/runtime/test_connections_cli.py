"""``promptyard provider``: against a live server, through the SDK; keys never printed."""

from __future__ import annotations

import pytest

from promptyard.services.context import Core
from promptyard.services.runtime import connections
from tests._server import LiveServer
from tests.cli._cli import Cli
from tests.runtime._wire import Reply, WireServer
from tests.security._setup import default_workspace_id

KEY = "sk-cli-VERYsecretKEYvalue5678"


@pytest.fixture
def cli(live_server: LiveServer) -> Cli:
    return Cli({**live_server.env(), "COLUMNS": "200", "OPENAI_KEY_FOR_TEST": KEY})


def test_add_list_show_update_models_remove(cli: Cli, core: Core, wire: WireServer) -> None:
    outputs: list[str] = []
    data = [{"id": "m-1", "object": "model", "created": 1, "owned_by": "x"}]
    wire.app.add("/v1/models", Reply(body={"object": "list", "data": data}))
    added = cli(
        "provider", "add", "local", "--kind", "openai", "--base-url", f"{wire.url}/v1",
        "--key-env", "OPENAI_KEY_FOR_TEST", "-m", "gpt-4o", "--param", "temperature:=0.1",
        "--timeout", "15", "--max-concurrency", "3",
    )  # fmt: skip
    outputs.append(added.stdout)
    assert "added provider connection local (openai)" in added.stdout
    assert connections.connection_for(core, default_workspace_id(core), "local").api_key == KEY

    listed = cli("provider", "list")
    outputs.append(listed.stdout)
    assert "local" in listed.stdout and "sk-…5678" in listed.stdout
    shown = cli.json("provider", "show", "local")
    assert shown["default_params"] == {"temperature": 0.1} and shown["timeout_seconds"] == 15
    outputs.append(cli("provider", "show", "local").stdout)

    models = cli("provider", "models", "local")
    outputs.append(models.stdout)
    assert "local/m-1" in models.stdout and "provider" in models.stdout
    configured = cli.json("provider", "models", "local")  # no more scripted replies: 404
    assert configured["source"] == "configured"
    assert [item["id"] for item in configured["items"]] == ["local/gpt-4o"]

    updated = cli.json("provider", "update", "local", "--max-concurrency", "9", "--clear-key")
    assert (updated["max_concurrency"], updated["api_key_set"]) == (9, False)
    assert updated["models"] == ["gpt-4o"]
    rekeyed = cli.json("provider", "update", "local", "--key-stdin", input=f"{KEY}\n")
    assert rekeyed["api_key_hint"] == "sk-…5678"

    outputs.append(cli("provider", "remove", "local").stdout)
    gone = cli("provider", "show", "local", code=1)
    assert "no provider connection 'local'" in gone.stderr
    for text in outputs:
        assert KEY not in text


def test_mistakes_are_clear_errors(cli: Cli) -> None:
    wrong = cli("provider", "add", "x", "--kind", "nope", code=1)
    assert "unknown provider kind 'nope'" in wrong.stderr and "fake" in wrong.stderr
    unset = cli("provider", "add", "x", "--kind", "openai", "--key-env", "NOT_SET_ANYWHERE", code=1)
    assert "NOT_SET_ANYWHERE is not set" in unset.stderr
    cli("provider", "add", "demo", "--kind", "fake")
    assert [item["name"] for item in cli.json("provider", "list")["items"]] == ["demo"]
    models = cli.json("provider", "models", "demo")
    assert "demo/echo" in [item["id"] for item in models["items"]]
    bad = cli("provider", "update", "demo", "--base-url", "ftp://x", code=1)
    assert "http:// or https://" in bad.stderr
    pair = cli("provider", "add", "y", "--kind", "fake", "--option", "novalue", code=2)
    assert "KEY=VALUE" in pair.stderr


def test_prices(cli: Cli) -> None:
    created = cli.json(
        "provider", "price", "set", "gpt-4o", "--input", "2.5", "--output", "10",
        "--cached-input", "1.25", "--provider", "openai", "--from", "2026-01-01T00:00:00",
    )  # fmt: skip
    assert created["effective_from"].startswith("2026-01-01T00:00:00")
    table = cli("provider", "price", "list").stdout
    assert "gpt-4o" in table and "openai" in table and "1.25" in table
    assert [item["id"] for item in cli.json("provider", "price", "list")["items"]] == [
        created["id"]
    ]
    cli("provider", "price", "remove", str(created["id"]))
    assert cli.json("provider", "price", "list", "--model", "gpt-4o")["items"] == []
    assert "no price override" in cli("provider", "price", "remove", "999", code=1).stderr
