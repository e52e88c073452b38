"""The API is added to the app flat (``server.app.api_routes``): the edge's route table
names exactly the routes FastAPI resolves, in the order requests meet them, and the
OpenAPI document is what FastAPI's ``include_router`` would have made of the routers."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends, FastAPI

from promptyard.server import app as server_app
from promptyard.server.edge import BODY_METHODS, RouteTable, json_body_guard
from promptyard.server.permissions import iter_app_routes
from promptyard.services.context import Core


def _table(app: FastAPI) -> list[tuple[str, str]]:
    built = RouteTable(app)._build()
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


def test_flat_routes_make_the_same_openapi_as_included_routers(core: Core) -> None:
    flat = server_app.create_app(core, static_dir=None)
    included = FastAPI(
        title=flat.title, version=flat.version, description=flat.description, docs_url="/docs"
    )
    for prefix, router in server_app.ROUTERS:
        guarded = prefix in server_app.GUARDED_PREFIXES
        outer = APIRouter(dependencies=[Depends(json_body_guard)] if guarded else [])
        outer.include_router(router)
        included.include_router(outer, prefix=prefix)
    ours = flat.openapi()
    theirs = included.openapi()
    assert ours["components"] == theirs["components"]
    # The app's own routes (health, readiness) come after the API's.
    assert {path: ours["paths"][path] for path in theirs["paths"]} == theirs["paths"]
    assert set(ours["paths"]) - set(theirs["paths"]) == {"/healthz", "/readyz"}


def test_routes_are_shared_by_every_app_and_keep_the_body_guard(core: Core) -> None:
    first = server_app.create_app(core, static_dir=None)
    second = server_app.create_app(core, static_dir=None)
    assert [r for r in first.routes if r in server_app.api_routes()] == list(
        server_app.api_routes()
    )
    assert all(any(r is s for s in second.routes) for r in server_app.api_routes())
    sources = [(prefix, route) for prefix, router in server_app.ROUTERS for route in router.routes]
    assert len(sources) == len(server_app.api_routes())
    for (prefix, source), route in zip(sources, server_app.api_routes(), strict=True):
        assert route.path == prefix + source.path and route.endpoint is source.endpoint
        guards = [dep for dep in route.dependencies if dep.dependency is json_body_guard]
        assert len(guards) == (prefix in server_app.GUARDED_PREFIXES), route.path


def test_a_nested_router_is_refused_not_missed(monkeypatch: pytest.MonkeyPatch) -> None:
    outer, inner = APIRouter(), APIRouter()

    @inner.post("/x")
    def x() -> None:
        pass

    outer.include_router(inner)
    monkeypatch.setattr(server_app, "ROUTERS", (("/api/v1", outer),))
    server_app.api_routes.cache_clear()
    try:
        with pytest.raises(TypeError, match="ROUTERS"):
            server_app.api_routes()
    finally:
        server_app.api_routes.cache_clear()
