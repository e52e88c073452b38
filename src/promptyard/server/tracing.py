"""Promptyard traces itself with OpenTelemetry when ``PROMPTYARD_OTEL_ENDPOINT`` is set.

:func:`install_tracing` builds a ``TracerProvider`` of the app's own (never the global
one, so several apps in one process do not share it) with a batch processor and the
OTLP/HTTP exporter, and adds two layers, both from the OpenTelemetry Python
instrumentations (the optional extra ``promptyard[otel]``):

- **request spans**: ``opentelemetry-instrumentation-asgi``'s middleware, outermost but
  for the metrics middleware; a server span per HTTP request, continuing the caller's
  ``traceparent``, named ``METHOD /route/{template}`` once routing matched (never the
  concrete path: names stay bounded); no spans per ASGI message. ``/healthz``,
  ``/readyz`` and ``/metrics`` (probes and scrapes) are not traced.
- **database spans**: ``opentelemetry-instrumentation-sqlalchemy``'s engine tracer on the
  store's engines: a client span per statement, a child of the request's span.

Spans are exported in the background (a batch every few seconds) and flushed when the
app stops. Off by default; when the endpoint is set but the packages are missing the
server logs why and runs untraced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptyard.config import Settings
from promptyard.server.metrics import FAST_PATH_KEY, PROMPT_READ, UNMATCHED, route_template
from promptyard.store.engine import Store

log = logging.getLogger("promptyard.tracing")

#: Not traced: liveness and readiness probes, Prometheus scrapes.
EXCLUDED_PATHS = ("/healthz", "/readyz", "/metrics")


def parse_headers(text: str | None) -> dict[str, str]:
    """``key=value,key2=value2`` (OTEL_EXPORTER_OTLP_HEADERS' format) as a dict."""
    headers: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"PROMPTYARD_OTEL_HEADERS: {part.strip()!r} is not key=value")
        headers[key.strip()] = value.strip()
    return headers


class Tracing:
    """The app's tracer provider and what it instrumented; :meth:`shutdown` flushes."""

    def __init__(self, settings: Settings) -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

        import promptyard

        resource = Resource.create(
            {"service.name": settings.otel_service_name, "service.version": promptyard.__version__}
        )
        self.provider = TracerProvider(
            resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.otel_sample_ratio))
        )
        exporter = OTLPSpanExporter(
            endpoint=settings.otel_endpoint, headers=parse_headers(settings.otel_headers)
        )
        self.provider.add_span_processor(BatchSpanProcessor(exporter))
        self._listeners: list[tuple[Any, str, Callable[..., Any]]] = []

    def attach(self, store: Store) -> None:
        """Trace the statements of the store's engines."""
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.metrics import NoOpMeterProvider

        tracer = self.provider.get_tracer("promptyard.store")
        usage = NoOpMeterProvider().get_meter("promptyard.store").create_up_down_counter("unused")
        engines = {id(e): e for e in (store.read_engine, store.write_engine)}.values()
        for engine in engines:
            before = list(EngineTracer._remove_event_listener_params)
            EngineTracer(tracer, engine, usage)
            added = [p for p in EngineTracer._remove_event_listener_params if p not in before]
            self._listeners += [(ref, name, func) for ref, name, func in added]

    def shutdown(self) -> None:
        """Stop tracing the engines and send the spans still queued."""
        from sqlalchemy import event

        for ref, name, func in self._listeners:
            target = ref()
            if target is not None and event.contains(target, name, func):
                event.remove(target, name, func)
        self._listeners = []
        self.provider.shutdown()


class TracingMiddleware:
    """Request spans: the ASGI instrumentation around the app (``add_middleware``)."""

    def __init__(self, app: ASGIApp, tracing: Tracing) -> None:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        self.inner = OpenTelemetryMiddleware(
            _RouteName(app),
            excluded_urls=",".join(EXCLUDED_PATHS),
            tracer_provider=tracing.provider,
            # one span per request, not one per ASGI message (named by the concrete path)
            exclude_spans=["receive", "send"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.inner(scope, receive, send)


class _RouteName:
    """Name the request's span by the route template when the answer starts (routing is
    done by then, and the instrumentation ends the span with the answer's last byte)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from opentelemetry import trace

        span = trace.get_current_span()

        async def named(message: Message) -> None:
            if message["type"] == "http.response.start" and span.is_recording():
                route = PROMPT_READ if scope.get(FAST_PATH_KEY) else route_template(scope)
                if route != UNMATCHED:
                    span.update_name(f"{scope['method']} {route}")
                    span.set_attribute("http.route", route)
            await send(message)

        await self.app(scope, receive, named)


def tracing_for(settings: Settings) -> Tracing | None:
    """The app's tracing when ``otel_endpoint`` is set and the packages are installed."""
    if not settings.otel_endpoint:
        return None
    try:
        return Tracing(settings)
    except ImportError as exc:
        log.error(
            "PROMPTYARD_OTEL_ENDPOINT is set but OpenTelemetry is not installed (%s): "
            "pip install 'promptyard[otel]'; running without tracing",
            exc,
        )
        return None
