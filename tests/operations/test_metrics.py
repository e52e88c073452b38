"""GET /metrics: what it counts, parsed by Prometheus's own parsers, and its scrape token."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from promptyard.server.app import create_app
from promptyard.services.context import Core
from promptyard.services.operations import metric_sources
from promptyard.services.operations.metrics import Metrics, RequestStats
from promptyard.workers import WEBHOOK_DELIVERIES
from promptyard.workers.runner import Job, Runner
from tests._server import free_port
from tests.conftest import API_KEY
from tests.operations._prometheus import label_values, samples, tool, value

API = "/api/v1"
READ = "/api/v1/prompts/{name}"


def _prompt(client: TestClient, name: str = "greet") -> None:
    created = client.post(f"{API}/prompts", json={"name": name, "content": "Hi"})
    assert created.status_code == 201, created.text


def test_requests_are_counted_by_route_template(app_client: TestClient) -> None:
    _prompt(app_client)
    for name in ("greet", "greet", "nobody-1", "nobody-2"):
        app_client.get(f"{API}/prompts/{name}")
    for index in range(20):  # scanners' paths: all one label
        app_client.get(f"/wp-admin/{index}.php")
    text = app_client.get("/metrics").text
    total = "promptyard_http_requests_total"
    assert value(text, total, method="POST", route="/api/v1/prompts", status=201) == 1
    assert value(text, total, method="GET", route=READ, status=200) == 2
    assert value(text, total, method="GET", route=READ, status=404) == 2
    assert value(text, total, method="GET", route="<unmatched>", status=404) == 20
    routes = label_values(text, total, "route")
    assert not any("greet" in route or "wp-admin" in route for route in routes), routes
    count = value(text, "promptyard_http_request_duration_seconds_count", method="GET", route=READ)
    assert count == 4
    bucket = "promptyard_http_request_duration_seconds_bucket"
    assert value(text, bucket, method="GET", route=READ, le="+Inf") == 4


def test_the_read_fast_path_is_counted(app_client: TestClient) -> None:
    _prompt(app_client)
    first = app_client.get(f"{API}/prompts/greet")  # the route fills the read cache
    etag = first.headers["etag"]
    assert app_client.get(f"{API}/prompts/greet").status_code == 200  # fast path
    assert (
        app_client.get(f"{API}/prompts/greet", headers={"If-None-Match": etag}).status_code == 304
    )
    text = app_client.get("/metrics").text
    assert value(text, "promptyard_prompt_reads_total", served_by="route") == 1
    assert value(text, "promptyard_prompt_reads_total", served_by="fast_path") == 2
    total = "promptyard_http_requests_total"
    assert value(text, total, method="GET", route=READ, status=304) == 1
    assert value(text, "promptyard_read_cache_entries") >= 1  # type: ignore[operator]


def test_database_statements_and_pools(app_client: TestClient, core: Core) -> None:
    _prompt(app_client)
    text = app_client.get("/metrics").text
    count = "promptyard_db_query_duration_seconds_count"
    assert value(text, count, operation="insert") >= 1  # type: ignore[operator]
    assert value(text, count, operation="select") >= 1  # type: ignore[operator]
    pools = label_values(text, "promptyard_db_pool_connections", "pool")
    assert pools == ({"read", "write"} if core.store.is_sqlite else {"main"})
    size = value(text, "promptyard_database_size_bytes")
    assert size is not None and size > 0
    assert value(text, "promptyard_data_disk_free_bytes") > 0  # type: ignore[operator]
    for source in ("database", "disk", "webhooks", "cache", "workers", "renders", "build"):
        assert value(text, "promptyard_metrics_source_up", source=source) == 1, source


class _Receiver:
    """A loopback HTTP server answering every POST with 200."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_webhook_delivery_outcomes(core: Core, receiver: _Receiver) -> None:
    core.settings = core.settings.model_copy(update={"webhook_worker": False})
    app = create_app(core, static_dir=None)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with TestClient(app, headers=headers, raise_server_exceptions=False) as client:
        events = ["change_request.opened"]
        for url in (receiver.url, f"http://127.0.0.1:{free_port()}/nobody"):
            hook = client.post(f"{API}/webhooks", json={"url": url, "events": events})
            assert hook.status_code == 201, hook.text
        _prompt(client)
        opened = client.post(
            f"{API}/change-requests", json={"prompt": "greet", "version": 1, "label": "production"}
        )
        assert opened.status_code == 201, opened.text
        before = client.get("/metrics").text
        assert value(before, "promptyard_webhook_deliveries", status="pending") == 2
        assert value(before, "promptyard_webhook_queue_lag_seconds") >= 0  # type: ignore[operator]
        assert value(before, "promptyard_worker_enabled") == 0
        assert app.state.runner.run_once(WEBHOOK_DELIVERIES) == 2
        after = client.get("/metrics").text
    assert value(after, "promptyard_webhook_deliveries", status="delivered") == 1
    assert value(after, "promptyard_webhook_deliveries", status="pending") == 1  # a retry
    job = {"job_name": WEBHOOK_DELIVERIES}
    assert value(after, "promptyard_worker_job_runs_total", **job) == 1
    assert value(after, "promptyard_worker_job_work_total", **job) == 2


def test_a_failing_job_shows_in_the_worker_metrics(core: Core) -> None:
    def boom(_core: Core) -> int:
        raise RuntimeError("the disk is on fire")

    runner = Runner(core, [Job("boom", 1.0, boom), Job("fine", 1.0, lambda _core: 3)])
    for _ in range(2):
        with pytest.raises(RuntimeError):
            runner.run_once("boom")
    runner.run_once("fine")
    metrics = Metrics()
    metrics.add_source("workers", metric_sources.worker_source(True, runner.health))
    text = metrics.render().decode()
    assert value(text, "promptyard_worker_job_failures_total", job_name="boom") == 2
    assert value(text, "promptyard_worker_job_failures_in_a_row", job_name="boom") == 2
    assert value(text, "promptyard_worker_job_failures_in_a_row", job_name="fine") == 0
    assert value(text, "promptyard_worker_job_work_total", job_name="fine") == 3
    assert value(text, "promptyard_worker_running") == 0
    stamp = value(text, "promptyard_worker_job_last_success_timestamp_seconds", job_name="fine")
    assert stamp == pytest.approx(core.clock().timestamp(), abs=60)


def test_a_failing_source_does_not_take_the_others_down() -> None:
    metrics = Metrics()

    def broken() -> Any:
        raise RuntimeError("no database")

    metrics.add_source("broken", broken)
    metrics.add_source("build", metric_sources.build_info_source())
    with pytest.raises(ValueError, match="already registered"):
        metrics.add_source("build", metric_sources.build_info_source())
    text = metrics.render().decode()
    assert value(text, "promptyard_metrics_source_up", source="broken") == 0
    assert value(text, "promptyard_metrics_source_up", source="build") == 1
    assert label_values(text, "promptyard_build_info", "version")


def test_scrape_token(core: Core) -> None:
    core.settings = core.settings.model_copy(update={"metrics_token": "scrape-me-0123456789"})
    with TestClient(create_app(core, static_dir=None), raise_server_exceptions=False) as client:
        missing = client.get("/metrics")
        assert missing.status_code == 401
        assert "PROMPTYARD_METRICS_TOKEN" in missing.json()["error"]["message"]
        wrong = client.get("/metrics", headers={"Authorization": "Bearer scrape-me-wrong"})
        assert wrong.status_code == 401
        # An API key is not the scrape token either.
        assert (
            client.get("/metrics", headers={"Authorization": f"Bearer {API_KEY}"}).status_code
            == 401
        )
        right = client.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
    assert right.status_code == 200
    assert right.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert samples(right.text)


def test_promtool_accepts_the_exposition(app_client: TestClient) -> None:
    _prompt(app_client)
    app_client.get(f"{API}/prompts/greet")
    text = app_client.get("/metrics").text
    checked = subprocess.run(
        [tool("promtool"), "check", "metrics"],
        input=text.encode(),
        capture_output=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()


def test_request_window_quantiles() -> None:
    minute = [0.0]
    stats = RequestStats(clock=lambda: minute[0])
    for _ in range(90):
        stats.observe("GET", "/a", 200, 0.004)  # bucket (0.0025, 0.005]
    for _ in range(10):
        stats.observe("GET", "/a", 503, 0.8)  # bucket (0.5, 1.0]
    window = stats.window()
    assert (window.requests, window.errors) == (100, 10)
    assert window.error_rate == pytest.approx(0.1)
    assert 0.0025 < window.quantile(0.5) <= 0.005  # type: ignore[operator]
    assert 0.5 < window.quantile(0.95) <= 1.0  # type: ignore[operator]
    minute[0] += 16 * 60  # those minutes leave the window
    stats.observe("PURGE", "/a", 200, 20.0)
    window = stats.window()
    assert (window.requests, window.errors) == (1, 0)
    assert window.quantile(0.99) == 10.0  # beyond the last bound: the last bound
    text = "\n".join(
        line for family in [stats.collect()] for metric in family for line in [str(metric)]
    )
    assert "OTHER" in text  # an unknown method is one bounded label
