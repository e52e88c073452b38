"""Seeded prompts and MCP client sessions over stdio and streamable HTTP, for the MCP tests."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from sqlalchemy import select

from promptyard.client import Client
from promptyard.services.context import Core
from promptyard.store.models import SqlProject
from tests._server import LiveServer
from tests.security._setup import add_key, default_workspace_id, other_workspace

PROMPTYARD = str(Path(sys.executable).with_name("promptyard"))
Handler = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class Keys:
    admin: str
    viewer: str
    beta_only: str  # a viewer key scoped to project "beta"
    foreign: str  # the admin of another workspace


def seed(core: Core, server: LiveServer) -> Keys:
    """``greeting`` (text, production on v1), ``support`` (chat), and ``beta-secret`` in
    project ``beta``; keys of several kinds."""
    with Client(server.url, server.api_key) as client:
        client.create_prompt(
            "greeting",
            content="Hello {{ name }}{{ punct | default('!') }}",
            description="Greets someone",
            tags=["onboarding"],
        )
        client.set_label("greeting", "production", 1)
        client.update_prompt("greeting", content="Hi {{ name }}, welcome to {{ place }}")
        client.set_label("greeting", "staging", 2)
        client.create_prompt(
            "support",
            type="chat",
            content=[
                {"role": "system", "content": "You support {{ product }}."},
                {"role": "user", "content": "{{ question }}"},
            ],
            tags=["support"],
        )
        client.create_project("beta", "Beta")
    with Client(server.url, server.api_key, project="beta") as beta:
        beta.create_prompt("beta-secret", content="Only for beta {{ x }}")
    workspace = default_workspace_id(core)
    with core.store.read() as session:
        beta_id = session.execute(
            select(SqlProject.id).where(SqlProject.slug == "beta")
        ).scalar_one()
    return Keys(
        admin=server.api_key,
        viewer=add_key(core, role="viewer", workspace_id=workspace, name="mcpviewer"),
        beta_only=add_key(
            core, role="viewer", workspace_id=workspace, name="mcpbeta", project_id=beta_id
        ),
        foreign=other_workspace(core),
    )


@asynccontextmanager
async def stdio_session(
    server: LiveServer, key: str, *, project: str | None = None, handler: Handler | None = None
) -> AsyncIterator[ClientSession]:
    env = {
        **os.environ,
        "PROMPTYARD_URL": server.url,
        "PROMPTYARD_API_KEY": key,
    }
    env.pop("PROMPTYARD_PROJECT", None)
    args = ["mcp", "--poll-seconds", "0.3"]
    if project:
        args += ["--project", project]
    params = StdioServerParameters(command=PROMPTYARD, args=args, env=env)
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, message_handler=handler) as session,
    ):
        await session.initialize()
        yield session


@asynccontextmanager
async def http_session(
    server: LiveServer, key: str, *, project: str | None = None, handler: Handler | None = None
) -> AsyncIterator[ClientSession]:
    url = f"{server.url}/mcp" + (f"?project={project}" if project else "")
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    async with (
        http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write, message_handler=handler) as session,
    ):
        await session.initialize()
        yield session


SESSIONS = {"stdio": stdio_session, "http": http_session}


def text_of(message: types.PromptMessage) -> str:
    assert isinstance(message.content, types.TextContent)
    return message.content.text
