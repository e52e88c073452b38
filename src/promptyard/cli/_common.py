"""What every remote command shares: connection options, the client, errors, output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from promptyard.client import DEFAULT_URL, Client, PromptyardError
from promptyard.domain import DEFAULT_SLUG

UrlOpt = Annotated[
    str,
    typer.Option(
        "--url", envvar="PROMPTYARD_URL", help="Promptyard server URL.", rich_help_panel="Server"
    ),
]
ApiKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="PROMPTYARD_API_KEY",
        help="API key, sent as 'Authorization: Bearer <key>'.",
        show_default=False,
        rich_help_panel="Server",
    ),
]
ProjectOpt = Annotated[
    str,
    typer.Option(
        "--project", envvar="PROMPTYARD_PROJECT", help="Project slug.", rich_help_panel="Server"
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the API's JSON answer instead of a table.")
]

__all__ = [
    "DEFAULT_SLUG",
    "DEFAULT_URL",
    "ApiKeyOpt",
    "JsonOpt",
    "ProjectOpt",
    "UrlOpt",
    "connect",
    "fail",
    "out",
    "print_json",
]


def out() -> Console:
    """The console for results (standard output)."""
    return Console(highlight=False)


def err() -> Console:
    return Console(stderr=True, highlight=False)


def fail(message: str, *, hints: list[str] | None = None, code: int = 1) -> NoReturn:
    """Print ``error: <message>`` in red on standard error and exit with ``code``."""
    console = err()
    console.print(f"[red]error: {escape(message)}[/red]", soft_wrap=True)
    for hint in hints or []:
        console.print(f"  {escape(hint)}", soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    """JSON on standard output, exactly as the API answered (no colors, no wrapping)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _hints(exc: PromptyardError) -> list[str]:
    """Readable lines for an error's structured details."""
    details = exc.details
    hints: list[str] = []
    if exc.status is None:
        hints.append("start it with `promptyard serve`, or point --url / PROMPTYARD_URL at it")
    elif exc.status == 401:
        hints.append("pass --api-key or set PROMPTYARD_API_KEY")
    elif exc.status >= 500 and isinstance(details, dict) and details.get("request_id"):
        hints.append(f"request id: {details['request_id']}")
    if exc.code == "validation_error" and isinstance(details, list) and len(details) > 1:
        for item in details:
            if isinstance(item, dict):
                where = ".".join(str(part) for part in item.get("loc", []))
                hints.append(f"{where}: {item.get('message')}" if where else str(item))
    elif exc.code == "template_syntax_error" and isinstance(details, dict):
        hints.append(
            f"at {details.get('field', 'content')} line {details.get('line')}, "
            f"column {details.get('column')}"
        )
    elif exc.code == "merge_conflict" and isinstance(details, dict):
        for conflict in details.get("conflicts", []):
            where = conflict.get("path") or conflict.get("where")
            hints.append(
                f"conflict in {where} (ours from {conflict.get('ours_start')}, "
                f"theirs from {conflict.get('theirs_start')}): "
                f"ours={json.dumps(conflict.get('ours'))} "
                f"theirs={json.dumps(conflict.get('theirs'))}"
            )
    return hints


@contextmanager
def connect(url: str, api_key: str | None, project: str) -> Iterator[Client]:
    """A client for one command; any API error ends the command with exit code 1."""
    client = Client(url, api_key or "", project=project)
    try:
        yield client
    except PromptyardError as exc:
        fail(exc.message, hints=_hints(exc))
    finally:
        client.close()
