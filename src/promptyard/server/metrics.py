"""HTTP instrumentation and ``GET /metrics`` (Prometheus text format).

:func:`install_metrics` builds the app's :class:`~promptyard.services.operations.metrics.Metrics`
(``app.state.metrics``), registers the built-in scrape-time sources, and adds
:class:`MetricsMiddleware`, the outermost middleware, which times every request (the
prompt read fast path's answers included) by route template: the path FastAPI matched
(``/api/v1/prompts/{name}``, never the concrete path), ``<unmatched>`` when none did.

New capabilities register their scrape-time sources in :func:`install_metrics` (see
``services/operations/metrics.py`` for the hook and its rules).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4 as CONTENT_TYPE
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptyard.server.deps import bearer_token
from promptyard.server.errors import error_response
from promptyard.services.alerts import metrics as alert_metrics
from promptyard.services.context import Core
from promptyard.services.evaluation import metrics as evaluation_metrics
from promptyard.services.experiments import metrics as experiment_metrics
from promptyard.services.operations import metric_sources
from promptyard.services.operations.metrics import (
    FAST_PATH,
    ROUTE,
    UNMATCHED,
    Metrics,
    RequestStats,
)
from promptyard.services.telemetry import metrics as telemetry_metrics

#: The route template of prompt reads, which the fast path answers without routing.
PROMPT_READ = "/api/v1/prompts/{name}"
#: Set in the scope by ``PromptReadFastPath`` when it answered from the read cache.
FAST_PATH_KEY = "promptyard.fast_path"

router = APIRouter(tags=["service"])


def install_metrics(app: FastAPI, core: Core, *, runner: Any, render_pool: Any) -> Metrics:
    """Build the app's metrics and register the built-in sources. The caller adds
    :class:`MetricsMiddleware` (outermost) and the router, and attaches and detaches
    ``metrics.database`` in the lifespan."""
    metrics = Metrics()
    metrics.add_source("build", metric_sources.build_info_source())
    metrics.add_source("database", metric_sources.database_source(core))
    metrics.add_source("disk", metric_sources.disk_source(core))
    metrics.add_source("webhooks", metric_sources.webhook_source(core))
    metrics.add_source("cache", metric_sources.cache_source(core))
    metrics.add_source(
        "workers", metric_sources.worker_source(core.settings.webhook_worker, runner.health)
    )
    metrics.add_source("renders", metric_sources.render_source(render_pool.stats))
    metrics.add_source("backups", metric_sources.backup_source(core))
    metrics.add_source("generations", telemetry_metrics.generation_source())
    metrics.add_source("alerts", alert_metrics.alert_source(core))
    metrics.add_source("budgets", alert_metrics.budget_source(core))
    metrics.add_source("evaluations", evaluation_metrics.evaluation_source(core))
    metrics.add_source("experiments", experiment_metrics.experiment_source(core))
    # A new capability adds its Source here (see services/operations/metrics.py):
    # metrics.add_source("<capability>", <capability>_source(core)).
    app.state.metrics = metrics
    return metrics


class MetricsMiddleware:
    """Count and time every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, stats: RequestStats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stats = self.stats
        started = time.perf_counter()
        answered = 0.0
        status = 0

        async def timed(message: Message) -> None:
            nonlocal answered, status
            if message["type"] == "http.response.start":
                answered = time.perf_counter()
                status = message["status"]
            await send(message)

        stats.in_flight += 1
        try:
            await self.app(scope, receive, timed)
        except Exception:
            if not status:  # nothing was answered: what the client sees is a 500
                status, answered = 500, time.perf_counter()
            raise
        finally:
            stats.in_flight -= 1
            if status:  # a client gone before any answer is not counted
                template = PROMPT_READ if scope.get(FAST_PATH_KEY) else route_template(scope)
                stats.observe(scope["method"], template, status, answered - started)
                if template == PROMPT_READ and status in (200, 304):
                    stats.prompt_reads[FAST_PATH if scope.get(FAST_PATH_KEY) else ROUTE] += 1


def route_template(scope: Scope) -> str:
    """The full path template of the route a request matched (as ``permissions.route_key``
    finds it), the mount's path for mounted apps, :data:`UNMATCHED` when none matched."""
    context: Any = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(context, "path_format", None)
    if path is None:
        route = scope.get("route")
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else UNMATCHED


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE: {"schema": {"type": "string"}}},
            "description": "Prometheus text exposition format 0.0.4",
        }
    },
)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus metrics of this process (text exposition format 0.0.4).

    With ``PROMPTYARD_METRICS_TOKEN`` set, only ``Authorization: Bearer <token>`` is
    answered; otherwise anyone who reaches the port may scrape it.
    """
    core: Core = request.app.state.core
    expected = core.settings.metrics_token
    if expected:
        given = bearer_token(request.headers.get("authorization", "")) or ""
        if not secrets.compare_digest(given.encode(), expected.encode()):
            return error_response(
                401,
                "unauthenticated",
                "GET /metrics needs 'Authorization: Bearer <PROMPTYARD_METRICS_TOKEN>'",
            )
    metrics: Metrics = request.app.state.metrics
    body = await run_in_threadpool(metrics.render)
    return Response(body, media_type=CONTENT_TYPE)
