"""Promptyard traces itself with OpenTelemetry when PROMPTYARD_OTEL_ENDPOINT is set: a
server span per request named by its route template, continuing the caller's
traceparent, with the request's database statements as child spans, exported over
OTLP/HTTP to a real receiver (another Promptyard's /v1/traces). Off by default."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from promptyard.config import Settings
from promptyard.server.app import create_app
from promptyard.server.tracing import parse_headers
from promptyard.services.context import Core
from promptyard.store.models import SqlSpan
from promptyard.wiring import build_core
from tests._server import LiveServer
from tests.conftest import API_KEY

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"


def _spans(core: Core, service: str) -> list[SqlSpan]:
    with core.store.read() as session:
        return list(
            session.execute(select(SqlSpan).where(SqlSpan.service_name == service)).scalars()
        )


@pytest.fixture
def traced(settings: Settings, live_server: LiveServer) -> Iterator[Core]:
    """A second server instance (over the same database) tracing to the live one."""
    traced_settings = settings.model_copy(
        update={
            "otel_endpoint": f"{live_server.url}/v1/traces",
            "otel_headers": f"Authorization=Bearer {live_server.api_key}",
            "otel_service_name": "promptyard-under-test",
            "webhook_worker": False,
        }
    )
    core = build_core(traced_settings, entry_points=False)
    yield core
    core.store.dispose()


def test_requests_and_statements_are_traced_to_a_real_receiver(traced: Core, core: Core) -> None:
    app = create_app(traced, static_dir=None)
    assert app.state.tracing is not None
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with TestClient(app, headers=headers) as client:
        created = client.post("/api/v1/prompts", json={"name": "traced", "content": "Hi {{ x }}"})
        assert created.status_code == 201, created.text
        parent = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
        read = client.get("/api/v1/prompts/traced", headers={"traceparent": parent})
        assert read.status_code == 200
        assert client.get("/api/v1/prompts/nothing-here").status_code == 404
        assert client.get("/healthz").status_code == 200  # probes are not traced
        assert client.get("/metrics").status_code == 200
    # the app stopped: its last spans were flushed to the receiver, which stored them
    spans = _spans(core, "promptyard-under-test")
    servers = [span for span in spans if span.kind == "server"]
    names = sorted(span.name for span in servers)
    assert "POST /api/v1/prompts" in names
    assert names.count("GET /api/v1/prompts/{name}") == 2, names
    assert not any("healthz" in n or "metrics" in n or "traced" in n for n in names), names

    [continued] = [s for s in servers if s.trace_id == CALLER_TRACE]
    assert continued.parent_span_id == CALLER_SPAN
    assert continued.attributes.get("http.route") == "/api/v1/prompts/{name}"

    post = next(s for s in servers if s.name == "POST /api/v1/prompts")
    statements = [s for s in spans if s.kind == "client" and s.trace_id == post.trace_id]
    assert statements, "the request's database statements are spans of its trace"
    for statement in statements:
        assert statement.parent_span_id == post.span_id  # a child of the request's span
    assert all(s.kind in ("server", "client") for s in spans)  # no per-message spans
    systems = {
        s.attributes.get("db.system") or s.attributes.get("db.system.name") for s in statements
    }
    assert systems == {"sqlite" if traced.store.is_sqlite else "postgresql"}
    assert any(
        "INSERT" in str(s.attributes.get("db.statement", s.name)).upper() for s in statements
    )


def test_tracing_is_off_by_default(core: Core) -> None:
    app = create_app(core, static_dir=None)
    assert app.state.tracing is None


def test_headers_setting_is_parsed() -> None:
    assert parse_headers("Authorization=Bearer k, x-tenant = a=b") == {
        "Authorization": "Bearer k",
        "x-tenant": "a=b",
    }
    assert parse_headers(None) == {} and parse_headers(" ") == {}
    with pytest.raises(ValueError, match="not key=value"):
        parse_headers("novalue")
