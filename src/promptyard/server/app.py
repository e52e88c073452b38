"""The FastAPI application, built by :func:`create_app` from a ready :class:`Core`."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Scope

import promptyard
from promptyard.server.api.public import langfuse_prompts
from promptyard.server.api.public.dialect import LangfuseErrorDialect
from promptyard.server.api.v1.alerts import routes as alerts_routes
from promptyard.server.api.v1.analytics import routes as analytics_routes
from promptyard.server.api.v1.delivery import changes as delivery_changes
from promptyard.server.api.v1.evaluation import annotation as evaluation_annotation
from promptyard.server.api.v1.evaluation import datasets as evaluation_datasets
from promptyard.server.api.v1.evaluation import evaluators as evaluation_evaluators
from promptyard.server.api.v1.evaluation import runs as evaluation_runs
from promptyard.server.api.v1.experiments import routes as experiments_routes
from promptyard.server.api.v1.governance import reviews
from promptyard.server.api.v1.identity import accounts, auth, projects
from promptyard.server.api.v1.operations import audit
from promptyard.server.api.v1.operations import health as system_health
from promptyard.server.api.v1.operations import jobs as operations_jobs
from promptyard.server.api.v1.operations import recovery as operations_recovery
from promptyard.server.api.v1.prompts import compat, folders_tags, routes, templates
from promptyard.server.api.v1.quality import mcp as quality_mcp
from promptyard.server.api.v1.quality import routes as quality_routes
from promptyard.server.api.v1.runtime import connections as runtime_connections
from promptyard.server.api.v1.runtime import execute as runtime_execute
from promptyard.server.api.v1.telemetry import retention as telemetry_retention
from promptyard.server.api.v1.telemetry import routes as telemetry_routes
from promptyard.server.api.v1.telemetry import traces as telemetry_traces
from promptyard.server.db_unavailable import RETRY_AFTER_SECONDS as DB_RETRY_AFTER_SECONDS
from promptyard.server.db_unavailable import DatabaseUnavailableMiddleware
from promptyard.server.db_unavailable import describe as describe_db_error
from promptyard.server.edge import EdgeMiddleware, json_body_guard
from promptyard.server.errors import error_response, install_error_handlers
from promptyard.server.mcp.endpoint import MCPEndpoint
from promptyard.server.metrics import MetricsMiddleware, install_metrics
from promptyard.server.metrics import router as metrics_router
from promptyard.server.middleware import (
    PromptReadFastPath,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
)
from promptyard.server.render_pool import RenderAdmission, RenderPool
from promptyard.server.tracing import TracingMiddleware, tracing_for
from promptyard.services.context import Core
from promptyard.services.delivery.stream import ChangeHub
from promptyard.services.operations.health import SizeHistory
from promptyard.store import migrate
from promptyard.workers import build_runner
from promptyard.workers.changes import ChangePoller

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
API_V1 = "/api/v1"
API_PUBLIC = "/api/public"
#: The routers under /api/v1, in the order requests are matched: the original routes
#: first (/prompts/templates must not be taken for a prompt name), the change stream's
#: /prompts/changes before /prompts/{name}.
API_V1_ROUTERS = (
    compat.router,
    delivery_changes.router,
    templates.router,
    runtime_execute.router,
    routes.router,
    folders_tags.router,
    projects.router,
    auth.router,
    accounts.router,
    reviews.router,
    audit.router,
    quality_routes.router,
    quality_mcp.router,
    telemetry_routes.router,
    telemetry_retention.router,
    telemetry_traces.router,
    analytics_routes.router,
    runtime_connections.router,
    evaluation_runs.router,
    evaluation_datasets.router,
    evaluation_evaluators.router,
    evaluation_annotation.router,
    system_health.router,
    operations_recovery.router,
    operations_jobs.router,
    alerts_routes.router,
    experiments_routes.router,
)
#: At the root: /metrics, /feedback.js, OTLP's /v1/traces and Langfuse's OTel path.
TOP_LEVEL_ROUTERS = (metrics_router, telemetry_routes.public_router, telemetry_traces.otlp_router)
#: Every router with its prefix, in matching order.
ROUTERS = (
    *((API_V1, router) for router in API_V1_ROUTERS),
    (API_PUBLIC, langfuse_prompts.router),
    *(("", router) for router in TOP_LEVEL_ROUTERS),
)
#: Prefixes whose JSON bodies are checked (depth, storable) before a route validates them.
GUARDED_PREFIXES = frozenset({API_V1, API_PUBLIC})
log = logging.getLogger("promptyard.server")


def create_app(core: Core, *, static_dir: Path | None = STATIC_DIR) -> FastAPI:
    """Build the app. The database must already be migrated (``promptyard db upgrade``)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        metrics.database.attach(core.store)  # statement latency (promptyard_db_*)
        if tracing is not None:
            tracing.attach(core.store)  # database spans (PROMPTYARD_OTEL_ENDPOINT)
        # Background jobs (webhook delivery, audit checkpoints: see promptyard.workers)
        # run in the one process where PROMPTYARD_WEBHOOK_WORKER is on.
        if core.settings.webhook_worker:
            runner.start()
        render_pool.start()
        # Every process reads what the others wrote (caches, change stream): see
        # promptyard.workers.changes.
        changes.attach(asyncio.get_running_loop(), await run_in_threadpool(poller.prime))
        poller.start()
        await mcp_endpoint.start()
        try:
            yield
        finally:
            await mcp_endpoint.stop()
            poller.stop()
            runner.stop()
            render_pool.shutdown()
            metrics.database.detach()
            if tracing is not None:
                await run_in_threadpool(tracing.shutdown)  # flush the last spans

    app = FastAPI(
        lifespan=lifespan,
        title="Promptyard",
        version=promptyard.__version__,
        description="Self-hosted prompt management and LLM operations.",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.core = core
    render_pool = RenderPool(
        workers=core.settings.render_workers,
        queue=core.settings.render_queue,
        timeout=core.settings.render_timeout_seconds,
    )
    app.state.render_pool = render_pool
    # Always built, so tests can run a job's step with app.state.runner.run_once(name).
    runner = build_runner(core)
    app.state.runner = runner
    changes = ChangeHub()
    poller = ChangePoller(core, changes)
    app.state.changes, app.state.change_poller = changes, poller
    # Prometheus metrics (GET /metrics) and the health score's request window.
    metrics = install_metrics(app, core, runner=runner, render_pool=render_pool)
    app.state.size_history = SizeHistory()
    install_error_handlers(app)

    # The API (and Langfuse's prompt API for its SDKs, under /api/public), flat.
    app.router.routes.extend(api_routes())

    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, str]:
        """Alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"])
    async def readyz() -> Response:
        """Database reachable, migrations current, and the render pool not saturated.

        Also reports the background jobs (``workers``): whether they run in this process
        and each job's health; a failing job does not make the server unready.
        """

        def check() -> tuple[bool, str]:
            try:
                with core.store.read() as session:
                    session.execute(text("SELECT 1"))
            except Exception as exc:  # any database failure means not ready
                return False, f"database unreachable: {describe_db_error(exc)}"
            if not migrate.is_current(core.store):
                return False, "database schema is not current: run `promptyard db upgrade`"
            return True, "ok"

        ok, message = await run_in_threadpool(check)
        if not ok:
            retry_after = {"Retry-After": str(DB_RETRY_AFTER_SECONDS)}
            return error_response(503, "not_ready", message, headers=retry_after)
        renders = render_pool.stats()
        if renders["saturated"]:
            message = (
                f"render pool saturated: {renders['running']} renders running and "
                f"{renders['queued']} waiting (capacity {renders['capacity']}); "
                "new render requests are answered 503 overloaded"
            )
            retry = {"Retry-After": str(render_pool.retry_after)}
            return error_response(503, "not_ready", message, {"renders": renders}, retry)
        workers = {"enabled": core.settings.webhook_worker, **runner.health()}
        return Response(
            orjson.dumps({"status": "ok", "renders": renders, "workers": workers}),
            media_type="application/json",
        )

    # MCP over streamable HTTP (promptyard.mcp's server, as the request's actor).
    mcp_endpoint = MCPEndpoint(core, render_pool, changes)
    app.state.mcp = mcp_endpoint
    app.router.routes.append(mcp_endpoint.route())

    if static_dir is not None:
        _mount_console(app, static_dir)

    app.add_middleware(EdgeMiddleware, fastapi=app, settings=core.settings)
    app.add_middleware(PromptReadFastPath, core=core)
    app.add_middleware(DatabaseUnavailableMiddleware)  # 503 + Retry-After, not 500
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(RenderAdmission, pool=render_pool)
    app.add_middleware(LangfuseErrorDialect)
    app.add_middleware(RequestIdMiddleware)
    # Request spans (PROMPTYARD_OTEL_ENDPOINT): around everything but the timing.
    tracing = tracing_for(core.settings)
    app.state.tracing = tracing
    if tracing is not None:
        app.add_middleware(TracingMiddleware, tracing=tracing)
    # Outermost: times every request, the read fast path's answers included.
    app.add_middleware(MetricsMiddleware, stats=metrics.requests)
    return app


@functools.cache
def api_routes() -> tuple[APIRoute, ...]:
    """Every route of :data:`ROUTERS` under its prefix, as one flat list, built once per
    process and shared by every app it builds.

    ``include_router`` (FastAPI 0.137 and later) keeps each included router nested: every
    request then walks the routers and recounts their routes before matching, twice (to
    match, then to handle), and every app analyses each route's parameters again on first
    use. Added flat, a request is matched against plain routes (finding ``PATCH
    /api/v1/prompts/{name}`` took 70 µs nested and takes 24 µs, ``/healthz`` 680 and 350 µs),
    and a route is analysed once per process. The OpenAPI document is the same either way
    (tests/server/test_edge_routes.py).
    """
    flat = APIRouter()
    for prefix, router in ROUTERS:
        guard = [Depends(json_body_guard)] if prefix in GUARDED_PREFIXES else []
        for route in router.routes:
            if not isinstance(route, APIRoute):
                raise TypeError(
                    f"{route!r} under {prefix or '/'}: only plain API routes are added flat; "
                    "list a nested router in server/app.py's ROUTERS instead"
                )
            flat.add_api_route(
                prefix + route.path,
                route.endpoint,
                response_model=route.response_model,
                status_code=route.status_code,
                tags=list(route.tags),
                dependencies=[*guard, *route.dependencies],
                summary=route.summary,
                description=route.description,
                response_description=route.response_description,
                responses=dict(route.responses),
                deprecated=route.deprecated,
                methods=route.methods,
                operation_id=route.operation_id,
                response_model_include=route.response_model_include,
                response_model_exclude=route.response_model_exclude,
                response_model_by_alias=route.response_model_by_alias,
                response_model_exclude_unset=route.response_model_exclude_unset,
                response_model_exclude_defaults=route.response_model_exclude_defaults,
                response_model_exclude_none=route.response_model_exclude_none,
                include_in_schema=route.include_in_schema,
                response_class=route.response_class,
                name=route.name,
                route_class_override=type(route),
                callbacks=route.callbacks,
                openapi_extra=route.openapi_extra,
                generate_unique_id_function=route.generate_unique_id_function,
                strict_content_type=route.strict_content_type,
                max_body_size=route.max_body_size,
                form_limits=route.form_limits,
            )
    return tuple(route for route in flat.routes if isinstance(route, APIRoute))


class ImmutableStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def _mount_console(app: FastAPI, static_dir: Path) -> None:
    """Serve the built console at ``/``; unknown non-API paths get index.html (SPA)."""
    # Asset names carry a content hash, so browsers may keep them forever; they are
    # gzipped here (and only here: API answers stay uncompressed, which is faster on the
    # loopback and LAN links agents use). check_dir=False: the console may be built after
    # the server started.
    assets = ImmutableStaticFiles(directory=static_dir / "assets", check_dir=False)
    app.mount("/assets", GZipMiddleware(assets, minimum_size=1024), name="assets")
    index = static_dir / "index.html"

    @app.get("/{path:path}", include_in_schema=False)
    async def console(path: str, request: Request) -> Response:
        if path.startswith(("api/", "v1/", "mcp")):
            return error_response(404, "not_found", "no such route")
        candidate = (static_dir / path).resolve()
        if path and candidate.is_file() and static_dir.resolve() in candidate.parents:
            return FileResponse(candidate)
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return error_response(
            404,
            "console_not_built",
            "the web console is not built: run `make run` (or `npm --prefix console run build`)",
        )
