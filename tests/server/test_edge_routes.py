"""The edge's route table (read from the routers' paths, without FastAPI's analysis of
every route) names exactly the routes FastAPI resolves, in the order requests meet them."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI

from promptyard.server import app as server_app
from promptyard.server.edge import BODY_METHODS, RouteTable
from promptyard.server.permissions import iter_app_routes
from promptyard.services.context import Core


def _table(app: FastAPI) -> list[tuple[str, str]]:
    built = RouteTable(app, server_app.ROUTERS)._build()
    return [(method, path) for methods, _regex, path in built for method in sorted(methods)]


def test_the_table_is_the_apps_routes(core: Core) -> None:
    app = server_app.create_app(core, static_dir=None)
    table = _table(app)
    resolved = [(method, path) for method, path, _context in iter_app_routes(app.routes)]
    assert {key for key in table if key[0] != "HEAD"} == set(resolved)
    # Where a request with a body could match two templates, the first one wins in both.
    with_body = [key for key in table if key[0] in BODY_METHODS]
    assert with_body == [key for key in resolved if key[0] in BODY_METHODS]
    assert ("POST", "/api/v1/prompts/templates") in with_body
    assert with_body.index(("POST", "/api/v1/prompts/templates")) < with_body.index(
        ("POST", "/api/v1/prompts/{name}/render")
    )


def test_a_nested_router_is_refused_not_missed(core: Core) -> None:
    outer, inner = APIRouter(), APIRouter()

    @inner.post("/x")
    def x() -> None:
        pass

    outer.include_router(inner)
    table = RouteTable(server_app.create_app(core, static_dir=None), [("/api/v1", outer)])
    with pytest.raises(TypeError, match="ROUTERS"):
        table._build()
