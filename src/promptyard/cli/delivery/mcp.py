"""``promptyard mcp``: serve a server's prompts to an MCP client over stdio (docs/mcp.md)."""

from __future__ import annotations

from typing import Annotated

import anyio
import typer

from promptyard.cli._common import DEFAULT_URL, ApiKeyOpt, UrlOpt
from promptyard.client import Client, PromptyardError
from promptyard.domain import DEFAULT_SLUG


def _project(client: Client, project: str | None) -> str:
    """The given project; else ``default``, or the one project a scoped key may read."""
    if project:
        return project
    try:
        slugs = [item["slug"] for item in client.list_projects()["items"]]
    except PromptyardError:
        return DEFAULT_SLUG  # the first request reports the problem to the MCP client
    if DEFAULT_SLUG in slugs or len(slugs) != 1:
        return DEFAULT_SLUG
    return str(slugs[0])


def mcp_command(
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            envvar="PROMPTYARD_PROJECT",
            help="Project slug (default: 'default', or the one project of a scoped key).",
            rich_help_panel="Server",
        ),
    ] = None,
    poll_seconds: Annotated[
        float,
        typer.Option(
            "--poll-seconds",
            min=0.2,
            help="How often to look for prompt changes (notifications/prompts/list_changed).",
        ),
    ] = 2.0,
) -> None:
    """Serve the prompts of a server to an MCP client over stdio (docs/mcp.md)."""
    client = Client(url, api_key)
    try:
        client.project = _project(client, project)
        from promptyard.cli.delivery.stdio import serve_stdio  # the mcp SDK: only when used

        anyio.run(serve_stdio, client, poll_seconds)
    finally:
        client.close()


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp_command)
