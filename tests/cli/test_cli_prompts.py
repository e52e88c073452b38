"""`promptyard prompt create|get|list|update|render|delete|restore`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.cli._cli import Cli


def test_create_and_get(cli: Cli, name: str) -> None:
    result = cli(
        "prompt",
        "create",
        name,
        "--content",
        "Hello {{ who }}",
        "--folder",
        "cli/tests",
        "--tag",
        "cli",
        "--tag",
        "hello",
        "--meta",
        "owner=cx",
        "--meta",
        "level:=3",
        "--model",
        "fake/echo",
        "--temperature",
        "0.3",
        "-m",
        "first",
        "--description",
        "hi",
    )
    assert f"created {name} v1" in result.stdout

    prompt = cli.json("prompt", "get", name)
    assert prompt["folder"] == "cli/tests"
    assert prompt["tags"] == ["cli", "hello"]
    assert prompt["metadata"] == {"owner": "cx", "level": 3}
    assert prompt["version"]["config"] == {"model": "fake/echo", "temperature": 0.3}
    assert prompt["version"]["message"] == "first"

    shown = cli("prompt", "get", name).stdout
    assert name in shown and "Hello {{ who }}" in shown and "cli/tests" in shown
    assert "who" in shown  # variables
    assert cli("prompt", "get", name, "--raw").stdout == "Hello {{ who }}\n"


def test_create_from_file_and_stdin(cli: Cli, name: str, tmp_path: Path) -> None:
    text_file = tmp_path / "prompt.txt"
    text_file.write_text("From a file {{ x }}\n")
    cli("prompt", "create", name, "--file", str(text_file))
    assert cli.json("prompt", "get", name)["version"]["content"] == "From a file {{ x }}\n"

    piped = f"{name}-stdin"
    cli("prompt", "create", piped, "--file", "-", input="piped {{ y }}")
    assert cli.json("prompt", "get", piped)["version"]["content"] == "piped {{ y }}"


def test_create_chat_from_json_file(cli: Cli, name: str, tmp_path: Path) -> None:
    messages = [{"role": "system", "content": "Be {{ mood }}"}, {"role": "user", "content": "hi"}]
    chat_file = tmp_path / "chat.json"
    chat_file.write_text(json.dumps(messages))
    created = cli.json("prompt", "create", name, "--file", str(chat_file))
    assert created["type"] == "chat"
    assert created["version"]["content"] == messages
    shown = cli("prompt", "get", name).stdout
    assert "system" in shown and "Be {{ mood }}" in shown
    raw = json.loads(cli("prompt", "get", name, "--raw").stdout)
    assert raw == messages


def test_create_usage_errors(cli: Cli, name: str, tmp_path: Path) -> None:
    missing = cli("prompt", "create", name, code=2)
    assert "--content" in missing.output
    both = cli("prompt", "create", name, "--content", "a", "--file", "b", code=2)
    assert "not both" in both.output
    bad_chat = tmp_path / "bad.json"
    bad_chat.write_text('{"role": "user"}')
    wrong = cli("prompt", "create", name, "--file", str(bad_chat), code=2)
    assert "list of messages" in wrong.output
    bad_meta = cli("prompt", "create", name, "-c", "x", "--meta", "novalue", code=2)
    assert "KEY=VALUE" in bad_meta.output


def test_create_invalid_on_server(cli: Cli) -> None:
    result = cli("prompt", "create", "bad/name", "--content", "x", code=1)
    assert result.stderr.startswith("error: ")
    assert "name" in result.stderr
    assert "Traceback" not in result.output


def test_create_existing(cli: Cli, name: str) -> None:
    cli("prompt", "create", name, "-c", "x")
    result = cli("prompt", "create", name, "-c", "x", code=1)
    assert "already exists" in result.stderr


def test_list(cli: Cli) -> None:
    tag = f"cli-{uuid.uuid4().hex[:8]}"
    prefix = f"cli-list-{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}-{i}" for i in range(3)]
    for index, each in enumerate(names):
        word = ("quokka", "wombat", "dingo")[index]
        cli(
            "prompt",
            "create",
            each,
            "-c",
            f"a {word}",
            "--tag",
            tag,
            "--meta",
            f"n={index}",
            "--folder",
            f"lst/{index}",
        )
    page = cli.json("prompt", "list", "--tag", tag, "--sort", "name")
    assert [p["name"] for p in page["items"]] == names
    assert page["total"] == 3
    only = cli.json("prompt", "list", "--tag", tag, "--meta", "n=1")
    assert [p["name"] for p in only["items"]] == [names[1]]
    limited = cli.json(
        "prompt", "list", "--tag", tag, "--sort", "name", "--limit", "1", "--offset", "2"
    )
    assert [p["name"] for p in limited["items"]] == [names[2]]
    assert cli.json("prompt", "list", "--tag", tag, "--type", "chat")["total"] == 0
    assert cli.json("prompt", "list", "--tag", tag, "--folder", "lst/0")["total"] == 1
    found = cli.json("prompt", "list", "--tag", tag, "-q", "quokka")["items"]
    assert [p["name"] for p in found] == [names[0]]

    table = cli("prompt", "list", "--tag", tag, "--limit", "2", "--sort", "name").stdout
    assert names[0] in table and names[1] in table and names[2] not in table
    assert "1-2 of 3" in table
    assert "no prompts" in cli("prompt", "list", "--tag", f"{tag}-none").stdout


def test_update(cli: Cli, name: str, tmp_path: Path) -> None:
    cli("prompt", "create", name, "-c", "v1", "--model", "m1", "--temperature", "0.5")
    result = cli("prompt", "update", name, "-c", "v2", "-m", "second")
    assert f"updated {name}: v2 on main" in result.stdout
    # A shortcut option changes one config key and keeps the others.
    updated = cli.json("prompt", "update", name, "--temperature", "0.1")
    assert updated["version"]["config"] == {"model": "m1", "temperature": 0.1}
    assert updated["latest_version"] == 3
    replaced = cli.json("prompt", "update", name, "--config", '{"model": "m2"}')
    assert replaced["version"]["config"] == {"model": "m2"}
    meta = cli.json(
        "prompt",
        "update",
        name,
        "--tag",
        "x",
        "--meta",
        "a=b",
        "--folder",
        "moved",
        "--description",
        "desc",
    )
    assert (meta["tags"], meta["metadata"], meta["folder"], meta["description"]) == (
        ["x"],
        {"a": "b"},
        "moved",
        "desc",
    )
    assert meta["latest_version"] == 4
    stale = cli("prompt", "update", name, "-c", "v5", "--base-version", "1", code=1)
    assert "based on version 1" in stale.stderr
    chat = tmp_path / "c.json"
    chat.write_text('[{"role": "user", "content": "now chat"}]')
    turned = cli.json("prompt", "update", name, "--type", "chat", "--file", str(chat))
    assert turned["type"] == "chat"
    # Updating a chat prompt reads the new content as JSON without --type.
    again = cli.json("prompt", "update", name, "-c", '[{"role": "user", "content": "again"}]')
    assert again["version"]["content"] == [{"role": "user", "content": "again"}]


def test_render(cli: Cli, name: str, tmp_path: Path) -> None:
    cli("prompt", "create", name, "-c", "{{ greeting }}, {{ who }}! {{ n + 1 }}")
    result = cli(
        "prompt", "render", name, "--var", "greeting=Hi", "--var", "who=Ann", "--var", "n:=41"
    )
    assert result.stdout == "Hi, Ann! 42\n"
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({"greeting": "Yo", "who": "Bo", "n": 1}))
    rendered = cli.json("prompt", "render", name, "--vars-file", str(variables), "--var", "who=Cy")
    assert rendered == {"type": "text", "rendered": "Yo, Cy! 2", "version": 1}
    missing = cli("prompt", "render", name, "--var", "who=Ann", code=1)
    assert "error: missing required variables: greeting, n" in missing.stderr


def test_render_chat_and_label(cli: Cli, name: str, tmp_path: Path) -> None:
    chat = tmp_path / "c.json"
    chat.write_text('[{"role": "system", "content": "v1 {{ x }}"}]')
    cli("prompt", "create", name, "--file", str(chat))
    cli("prompt", "update", name, "-c", '[{"role": "system", "content": "v2 {{ x }}"}]')
    cli("prompt", "label", name, "production", "1")
    shown = cli("prompt", "render", name, "--var", "x=1", "--label", "production").stdout
    assert "system" in shown and "v1 1" in shown
    rendered = cli.json("prompt", "render", name, "--var", "x=2", "--version", "2")
    assert rendered["rendered"] == [{"role": "system", "content": "v2 2"}]


def test_delete_and_restore(cli: Cli, name: str) -> None:
    cli("prompt", "create", name, "-c", "x")
    assert f"deleted {name}" in cli("prompt", "delete", name).stdout
    gone = cli("prompt", "get", name, code=1)
    assert "error:" in gone.stderr and name in gone.stderr
    assert cli.json("prompt", "list", "-q", name, "--deleted", "only")["total"] == 1
    assert f"restored {name}" in cli("prompt", "restore", name).stdout
    assert cli.json("prompt", "get", name)["deleted_at"] is None
    again = cli("prompt", "restore", name, code=1)
    assert "not deleted" in again.stderr
