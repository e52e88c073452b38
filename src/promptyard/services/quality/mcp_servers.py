"""The MCP servers a workspace declares, and the tools discovered from them.

A server is reached over streamable HTTP (``url``) or started as a local command
(``stdio``). Declaring a command from the API would let anyone who may declare a server run
a program on the Promptyard host, so stdio servers need both the instance setting
``PROMPTYARD_MCP_ALLOW_STDIO=true`` and an instance administrator; every other declaration
is a URL, checked by the outbound URL policy (``services/operations/outbound.py``):
http(s) only, no user info, and no private, loopback or link-local address unless
``PROMPTYARD_MCP_ALLOW_PRIVATE=true`` (the name is resolved again at each refresh).

``refresh`` connects with the official ``mcp`` client, lists the tools (at most
:data:`MAX_TOOLS`, :data:`MAX_PAGES` pages) within :data:`TIMEOUT_SECONDS`, and stores them;
a server that cannot be reached keeps its last tools and records the error.
"""

from __future__ import annotations

import re
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import AlreadyExists, Forbidden, NotFound, ValidationFailed
from promptyard.services.context import Core
from promptyard.services.operations import audit
from promptyard.services.operations.outbound import check_url
from promptyard.services.quality.schemas import (
    McpServerCreate,
    McpServerPublic,
    McpServersPublic,
    McpServerUpdate,
    McpToolPublic,
)
from promptyard.store.models import SqlMcpServer

#: Seconds a refresh may take in all (connect, initialize, list).
TIMEOUT_SECONDS = 10.0
MAX_TOOLS = 500
MAX_PAGES = 10
MAX_DESCRIPTION = 500
#: Servers a workspace may declare.
MAX_SERVERS = 100
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_SETTING = "PROMPTYARD_MCP_ALLOW_PRIVATE"


def _check_url(core: Core, url: str, *, resolve: bool = False) -> None:
    check_url(url, resolve=resolve, allow_private=core.settings.mcp_allow_private, setting=_SETTING)


def _check_stdio(core: Core, ctx: RequestContext) -> None:
    if not core.settings.mcp_allow_stdio:
        raise ValidationFailed(
            "stdio MCP servers are off on this server: a command declared through the API "
            "would run on the server's host (PROMPTYARD_MCP_ALLOW_STDIO=true lets instance "
            "admins declare them); declare a streamable HTTP url instead"
        )
    if not ctx.actor.instance_admin:
        raise Forbidden("only an instance administrator may declare a stdio MCP server")


def _public(row: SqlMcpServer) -> McpServerPublic:
    return McpServerPublic(
        id=row.id,
        name=row.name,
        transport=row.transport,  # type: ignore[arg-type]
        url=row.url,
        command=row.command,
        description=row.description,
        tools=[McpToolPublic.model_validate(tool) for tool in row.tools or []],
        refreshed_at=row.refreshed_at,
        refresh_error=row.refresh_error,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _load(session: Session, workspace_id: int, name: str) -> SqlMcpServer:
    row = session.execute(
        select(SqlMcpServer).where(
            SqlMcpServer.workspace_id == workspace_id, SqlMcpServer.name == name
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(
            f"no MCP server {name!r} in this workspace; GET /api/v1/mcp-servers lists them"
        )
    return row


def _audit(
    core: Core, session: Session, ctx: RequestContext, action: str, row: SqlMcpServer
) -> None:
    audit.append(
        core,
        session,
        ctx=ctx,
        action=action,
        object_type="mcp_server",
        object_id=row.name,
        summary={"transport": row.transport, "url": row.url, "tools": len(row.tools or [])},
        workspace_id=row.workspace_id,
    )


def list_servers(core: Core, *, workspace_id: int) -> McpServersPublic:
    with core.store.read() as session:
        rows = session.execute(
            select(SqlMcpServer)
            .where(SqlMcpServer.workspace_id == workspace_id)
            .order_by(SqlMcpServer.name)
        ).scalars()
        return McpServersPublic(items=[_public(row) for row in rows])


def get_server(core: Core, *, workspace_id: int, name: str) -> McpServerPublic:
    with core.store.read() as session:
        return _public(_load(session, workspace_id, name))


def _tools(data: list[McpToolPublic] | None) -> list[dict[str, Any]]:
    return [tool.model_dump() for tool in data or []]


def create_server(
    core: Core, *, ctx: RequestContext, workspace_id: int, data: McpServerCreate
) -> McpServerPublic:
    if data.transport == "stdio":
        _check_stdio(core, ctx)
    else:
        _check_url(core, data.url or "")
    now = core.clock()
    row = SqlMcpServer(
        workspace_id=workspace_id,
        name=data.name,
        transport=data.transport,
        url=data.url if data.transport == "http" else None,
        command=data.command if data.transport == "stdio" else None,
        description=data.description,
        tools=_tools(data.tools),
        created_by=ctx.actor.ref,
        created_at=now,
        updated_at=now,
    )
    with core.store.write() as session:
        count = len(
            session.scalars(
                select(SqlMcpServer.id).where(SqlMcpServer.workspace_id == workspace_id)
            ).all()
        )
        if count >= MAX_SERVERS:
            raise ValidationFailed(f"a workspace declares at most {MAX_SERVERS} MCP servers")
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            raise AlreadyExists(f"MCP server {data.name!r} already exists") from None
        _audit(core, session, ctx, "mcp_server.create", row)
        return _public(row)


def update_server(
    core: Core, *, ctx: RequestContext, workspace_id: int, name: str, data: McpServerUpdate
) -> McpServerPublic:
    with core.store.write() as session:
        row = _load(session, workspace_id, name)
        if data.url is not None:
            if row.transport != "http":
                raise ValidationFailed("a stdio server has a command, not a url")
            _check_url(core, data.url)
            row.url = data.url
        if data.command is not None:
            if row.transport != "stdio":
                raise ValidationFailed("an http server has a url, not a command")
            _check_stdio(core, ctx)
            row.command = data.command
        if "description" in data.model_fields_set:
            row.description = data.description
        if data.tools is not None:
            row.tools = _tools(data.tools)
        row.updated_at = core.clock()
        _audit(core, session, ctx, "mcp_server.update", row)
        return _public(row)


def delete_server(core: Core, *, ctx: RequestContext, workspace_id: int, name: str) -> None:
    with core.store.write() as session:
        row = _load(session, workspace_id, name)
        _audit(core, session, ctx, "mcp_server.delete", row)
        session.delete(row)


# -- discovery ----------------------------------------------------------------------------


async def _list_tools(session: Any) -> list[dict[str, Any]]:
    await session.initialize()
    tools: list[dict[str, Any]] = []
    cursor = None
    for _ in range(MAX_PAGES):
        if cursor is None:
            page = await session.list_tools()
        else:
            from mcp_types import PaginatedRequestParams

            page = await session.list_tools(params=PaginatedRequestParams(cursor=cursor))
        for tool in page.tools:
            description = (tool.description or "")[:MAX_DESCRIPTION]
            tools.append({"name": tool.name[:200], "description": description})
            if len(tools) >= MAX_TOOLS:
                return tools
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


async def _discover(
    transport: str, url: str | None, command: list[str] | None
) -> list[dict[str, Any]]:
    from mcp.client.session import ClientSession

    with anyio.fail_after(TIMEOUT_SECONDS):
        if transport == "stdio":
            from mcp.client.stdio import StdioServerParameters, stdio_client

            assert command
            params = StdioServerParameters(command=command[0], args=list(command[1:]))
            async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
                return await _list_tools(s)
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        http = create_mcp_http_client()
        async with (
            http,
            streamable_http_client(str(url), http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            return await _list_tools(session)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT_SECONDS:g} s"
    inner = getattr(exc, "exceptions", None)
    if inner:  # an exception group from the client's task group
        return _reason(inner[0])
    return f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__


def refresh_server(
    core: Core, *, ctx: RequestContext, workspace_id: int, name: str
) -> McpServerPublic:
    """Connect, list the server's tools and store them (or the error, keeping the tools)."""
    with core.store.read() as session:
        row = _load(session, workspace_id, name)
        transport, url, command = row.transport, row.url, row.command
    if transport == "stdio":
        _check_stdio(core, ctx)
    else:
        _check_url(core, url or "", resolve=True)
    error: str | None = None
    tools: list[dict[str, Any]] | None = None
    try:
        tools = anyio.run(_discover, transport, url, command)
    except Exception as exc:
        error = _reason(exc)
    with core.store.write() as session:
        row = _load(session, workspace_id, name)
        row.refreshed_at = core.clock()
        row.refresh_error = error
        if tools is not None:
            row.tools = tools
        _audit(core, session, ctx, "mcp_server.refresh", row)
        return _public(row)


def offered_tools(core: Core, *, workspace_id: int) -> dict[str, list[dict[str, Any]]]:
    """Server name -> its known tools, for the workspace's declared servers."""
    with core.store.read() as session:
        rows = session.execute(
            select(SqlMcpServer.name, SqlMcpServer.tools).where(
                SqlMcpServer.workspace_id == workspace_id
            )
        ).all()
    return {name: list(tools or []) for name, tools in rows}
