"""Errors read as one line, never a traceback; usage errors exit 2."""

from __future__ import annotations

from tests._server import LiveServer, free_port
from tests.cli._cli import Cli


def test_unknown_prompt(cli: Cli) -> None:
    result = cli("prompt", "get", "no-such-prompt", code=1)
    assert result.stderr == "error: prompt 'no-such-prompt' not found\n" or (
        result.stderr.startswith("error: ") and "no-such-prompt" in result.stderr
    )
    assert result.stdout == ""


def test_server_down() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    cli = Cli({"PROMPTYARD_URL": url, "PROMPTYARD_API_KEY": "k"})
    result = cli("prompt", "list", code=1)
    assert result.stderr.startswith(f"error: the server is unreachable at {url}")
    assert "Traceback" not in result.output
    assert "promptyard serve" in result.stderr


def test_url_option_wins_over_env(server: LiveServer) -> None:
    cli = Cli(
        {"PROMPTYARD_URL": f"http://127.0.0.1:{free_port()}", "PROMPTYARD_API_KEY": server.api_key}
    )
    result = cli("project", "list", "--json", "--url", server.url)
    assert '"default"' in result.stdout


def test_wrong_api_key(server: LiveServer) -> None:
    cli = Cli({"PROMPTYARD_URL": server.url})
    result = cli("prompt", "list", "--api-key", "py_wrong", code=1)
    assert result.stderr.startswith("error: invalid API key")
    assert "--api-key" in result.stderr


def test_unknown_project(cli: Cli) -> None:
    result = cli("prompt", "list", "--project", "nowhere", code=1)
    assert "project 'nowhere' not found" in result.stderr


def test_usage_errors(cli: Cli) -> None:
    assert cli("prompt", "get", code=2).exit_code == 2
    assert cli("prompt", "nope", code=2).exit_code == 2
    assert cli("prompt", "diff", "x", "one", "2", code=2).exit_code == 2


def test_help_and_version(cli: Cli) -> None:
    assert "prompt" in cli("--help").stdout
    assert cli("--version").stdout.startswith("promptyard ")
