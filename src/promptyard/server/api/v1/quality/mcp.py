"""The workspace's declared MCP servers (tools discovered with the ``mcp`` client) and
the project's tool references checked against them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import LABEL_PATTERN
from promptyard.server.deps import CoreDep, ProjectDep, ReadCtx, require
from promptyard.services.quality import mcp_servers, tool_references
from promptyard.services.quality.schemas import (
    McpServerCreate,
    McpServerPublic,
    McpServersPublic,
    McpServerUpdate,
    ToolReferencesPublic,
)

router = APIRouter(tags=["quality"])

ProviderRead = Annotated[RequestContext, Depends(require("provider:read"))]
ProviderManage = Annotated[RequestContext, Depends(require("provider:manage"))]
ServerName = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
        description="MCP server name",
        examples=["tools"],
    ),
]


@router.get("/mcp-servers")
def list_mcp_servers(core: CoreDep, ctx: ProviderRead) -> McpServersPublic:
    """The workspace's declared MCP servers and the tools last discovered from each."""
    return mcp_servers.list_servers(core, workspace_id=ctx.actor.workspace_id)


@router.post("/mcp-servers", status_code=201)
def create_mcp_server(body: McpServerCreate, core: CoreDep, ctx: ProviderManage) -> McpServerPublic:
    """Declare an MCP server (a streamable HTTP URL; stdio commands only where the
    instance allows them, by an instance administrator)."""
    return mcp_servers.create_server(core, ctx=ctx, workspace_id=ctx.actor.workspace_id, data=body)


@router.get("/mcp-servers/references")
def mcp_tool_references(
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    label: Annotated[str | None, Query(pattern=LABEL_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 2_000,
) -> ToolReferencesPublic:
    """The project's references to tools, each offered by a declared server or not, with
    a declared tool suggested where none offers it."""
    found = tool_references.project_references(
        core, project_id=project_id, label=label, limit=limit
    )
    return ToolReferencesPublic.model_validate(found)


@router.get("/mcp-servers/{name}")
def get_mcp_server(name: ServerName, core: CoreDep, ctx: ProviderRead) -> McpServerPublic:
    """One declared MCP server."""
    return mcp_servers.get_server(core, workspace_id=ctx.actor.workspace_id, name=name)


@router.patch("/mcp-servers/{name}")
def update_mcp_server(
    name: ServerName, body: McpServerUpdate, core: CoreDep, ctx: ProviderManage
) -> McpServerPublic:
    """Change a server's URL (or command), description or hand-declared tools."""
    return mcp_servers.update_server(
        core, ctx=ctx, workspace_id=ctx.actor.workspace_id, name=name, data=body
    )


@router.delete("/mcp-servers/{name}", status_code=204)
def delete_mcp_server(name: ServerName, core: CoreDep, ctx: ProviderManage) -> None:
    """Forget a declared MCP server."""
    mcp_servers.delete_server(core, ctx=ctx, workspace_id=ctx.actor.workspace_id, name=name)


@router.post("/mcp-servers/{name}/refresh")
def refresh_mcp_server(name: ServerName, core: CoreDep, ctx: ProviderManage) -> McpServerPublic:
    """Connect to the server with the MCP client and store the tools it lists (bounded:
    10 s, 500 tools); a failure is recorded in ``refresh_error``, the old tools kept."""
    return mcp_servers.refresh_server(core, ctx=ctx, workspace_id=ctx.actor.workspace_id, name=name)
