"""Provider connections (keys never returned) and the workspace's price overrides.

Both belong to the caller's workspace. The ``/providers/prices`` routes come before
``/providers/{name}`` (``prices`` is not a connection name).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from promptyard.domain.actor import RequestContext
from promptyard.server.api.v1.params import ObjectId
from promptyard.server.deps import CoreDep, require
from promptyard.services.runtime import connections
from promptyard.services.runtime.connections import (
    CONNECTION_NAME_PATTERN,
    ConnectionCreate,
    ConnectionModelsPublic,
    ConnectionPublic,
    ConnectionsPublic,
    ConnectionUpdate,
    PriceOverrideCreate,
    PriceOverridePublic,
    PriceOverridesPublic,
)

router = APIRouter(tags=["runtime"])

ProviderRead = Annotated[RequestContext, Depends(require("provider:read"))]
ProviderManage = Annotated[RequestContext, Depends(require("provider:manage"))]
ConnectionName = Annotated[
    str, Path(pattern=CONNECTION_NAME_PATTERN, description="connection name", examples=["local"])
]


@router.get("/providers/prices")
def list_prices(
    core: CoreDep,
    ctx: ProviderRead,
    model: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> PriceOverridesPublic:
    """The workspace's own model prices (USD per million tokens), by model, the latest
    effective date first."""
    return connections.list_prices(core, workspace_id=ctx.actor.workspace_id, model=model)


@router.post("/providers/prices", status_code=201)
def create_price(
    body: PriceOverrideCreate, core: CoreDep, ctx: ProviderManage
) -> PriceOverridePublic:
    """Price a model (on one provider, or any) from ``effective_from`` on; generations
    started from then are priced with it instead of the bundled price table."""
    return connections.create_price(core, ctx=ctx, workspace_id=ctx.actor.workspace_id, data=body)


@router.delete("/providers/prices/{price_id}", status_code=204)
def delete_price(price_id: ObjectId, core: CoreDep, ctx: ProviderManage) -> None:
    connections.delete_price(core, ctx=ctx, workspace_id=ctx.actor.workspace_id, price_id=price_id)


@router.get("/providers")
def list_connections(core: CoreDep, ctx: ProviderRead) -> ConnectionsPublic:
    """The workspace's provider connections; keys masked (``api_key_hint``)."""
    return connections.list_connections(core, workspace_id=ctx.actor.workspace_id)


@router.post("/providers", status_code=201)
def create_connection(
    body: ConnectionCreate, core: CoreDep, ctx: ProviderManage
) -> ConnectionPublic:
    """Add a connection; its API key is encrypted with the server's secret and never
    returned."""
    return connections.create_connection(
        core, ctx=ctx, workspace_id=ctx.actor.workspace_id, data=body
    )


@router.get("/providers/{name}")
def get_connection(name: ConnectionName, core: CoreDep, ctx: ProviderRead) -> ConnectionPublic:
    return connections.get_connection(core, workspace_id=ctx.actor.workspace_id, name=name)


@router.patch("/providers/{name}")
def update_connection(
    name: ConnectionName, body: ConnectionUpdate, core: CoreDep, ctx: ProviderManage
) -> ConnectionPublic:
    """Change the fields given; ``"api_key": null`` removes the key."""
    return connections.update_connection(
        core, ctx=ctx, workspace_id=ctx.actor.workspace_id, name=name, data=body
    )


@router.delete("/providers/{name}", status_code=204)
def delete_connection(name: ConnectionName, core: CoreDep, ctx: ProviderManage) -> None:
    connections.delete_connection(core, ctx=ctx, workspace_id=ctx.actor.workspace_id, name=name)


@router.get("/providers/{name}/models")
async def list_models(
    name: ConnectionName, core: CoreDep, ctx: ProviderRead
) -> ConnectionModelsPublic:
    """The connection's models: listed by the provider where it offers a list, else the
    configured ones (``source`` says which; ``error`` why the provider's list failed)."""
    return await connections.list_models(core, workspace_id=ctx.actor.workspace_id, name=name)
