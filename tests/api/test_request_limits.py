"""Request limits (issue 15, sections 3 and 4): a request's cost is bounded before it is paid.

- no credentials, no body read: 401 (403 without the role or the CSRF token) before the
  server reads a byte of the body;
- a body cap per route, checked on ``Content-Length`` and while streaming;
- JSON nested past 32 levels is refused at the edge (422 ``json_too_deep``), stored JSON
  values past 24 levels on write, so whatever was accepted can be read and exported;
- large bodies are checked off the event loop: ``/healthz`` keeps answering;
- an unexpected error answers a JSON 500 and keeps the kept-alive connection.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient

from promptyard.config import Settings
from promptyard.domain import schemas
from promptyard.server import edge
from promptyard.server.app import create_app
from promptyard.server.permissions import iter_app_routes
from promptyard.services.context import Core
from promptyard.services.identity import auth
from promptyard.services.prompts import search
from promptyard.wiring import build_core
from tests._server import serve_core
from tests.api._helpers import API, PROMPTS, create, error, get, new_project, ok, snapshot
from tests.conftest import API_KEY
from tests.security._setup import add_key, default_workspace_id

RENDER = f"{API}/templates/render"
JSON = {"content-type": "application/json"}


def nested(levels: int, leaf: Any = None) -> Any:
    """A JSON value ``levels`` deep: ``{"a": {"a": ... leaf}}``."""
    value: Any = leaf if leaf is not None else {}
    for _ in range(levels - (0 if leaf is not None else 1)):
        value = {"a": value}
    return value


def depth_of_body(body: Any) -> int:
    from promptyard.domain.jsonvalues import json_depth

    return json_depth(body)


# -- authentication before the body ----------------------------------------------------


def asgi_request(
    core: Core, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, Any], int]:
    """Call the app over raw ASGI: ``(status, JSON answer, times the body was received)``."""
    app = create_app(core, static_dir=None)
    reads = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw_headers.append((b"content-length", str(len(body)).encode()))
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    anyio.run(app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(payload), reads


WRITE_ROUTES = [
    ("POST", RENDER),
    ("POST", PROMPTS),
    ("PATCH", f"{PROMPTS}/p"),
    ("POST", f"{PROMPTS}/bulk"),
    ("PUT", f"{PROMPTS}/p/labels/production"),
    ("POST", f"{API}/projects/default/import"),
]


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
def test_no_valid_credentials_is_refused_before_the_body_is_read(
    core: Core, method: str, path: str
) -> None:
    body = json.dumps({"content": "x", "variables": {"xs": list(range(1000))}}).encode()
    viewer = add_key(core, role="viewer", workspace_id=default_workspace_id(core), name="v")
    actor = auth.authenticate_api_key(core, API_KEY)
    session = auth.create_session(core, actor)
    cases = [
        ({}, 401, "unauthenticated"),
        ({"authorization": "Bearer py_not_a_key"}, 401, "unauthenticated"),
        ({"authorization": "Basic abc"}, 401, "unauthenticated"),
        ({"cookie": "promptyard_session=nope"}, 401, "unauthenticated"),
        ({"cookie": f"promptyard_session={session.token}"}, 403, "csrf_failed"),
    ]
    if path != RENDER:  # a viewer may render; every other route here needs more
        cases.append(({"authorization": f"Bearer {viewer}"}, 403, "forbidden"))
    for headers, status, code in cases:
        got, answer, reads = asgi_request(core, method, path, {**JSON, **headers}, body)
        assert (got, answer["error"]["code"]) == (status, code), (headers, answer)
        assert reads == 0, f"{method} {path} read the body of a request it refused ({headers})"
    # With valid credentials the same request goes on to the route, which reads the body.
    got, _answer, reads = asgi_request(
        core, method, path, {**JSON, "authorization": f"Bearer {API_KEY}"}, body
    )
    assert reads >= 1 and got != 401


def test_the_edge_resolves_a_session_once(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    """The route reuses the actor the edge resolved: one session look-up per request."""
    actor = auth.authenticate_api_key(core, API_KEY)
    session = auth.create_session(core, actor)
    calls = []
    real = auth.authenticate_session

    def counting(core_: Core, token: str) -> Any:
        calls.append(token)
        return real(core_, token)

    monkeypatch.setattr(auth, "authenticate_session", counting)
    with TestClient(create_app(core, static_dir=None)) as client:
        client.cookies.set("promptyard_session", session.token)
        response = client.post(
            PROMPTS,
            json={"name": "s", "content": "x"},
            headers={"x-csrf-token": session.csrf_token},
        )
    assert response.status_code == 201, response.text
    assert len(calls) == 1


# -- body caps per route ------------------------------------------------------------------

CAPS = [
    ("post", RENDER, 1_000_000, "PROMPTYARD_MAX_RENDER_REQUEST_BYTES"),
    ("post", f"{API}/templates/validate", 1_000_000, "PROMPTYARD_MAX_RENDER_REQUEST_BYTES"),
    ("post", f"{PROMPTS}/p/render", 1_000_000, "PROMPTYARD_MAX_RENDER_REQUEST_BYTES"),
    ("post", PROMPTS, 1_000_000, "PROMPTYARD_MAX_PROMPT_REQUEST_BYTES"),
    ("patch", f"{PROMPTS}/p", 1_000_000, "PROMPTYARD_MAX_PROMPT_REQUEST_BYTES"),
    ("post", f"{PROMPTS}/bulk", 1_000_000, "PROMPTYARD_MAX_PROMPT_REQUEST_BYTES"),
    ("put", f"{PROMPTS}/p/labels/production", edge.DEFAULT_BODY_BYTES, None),
    ("post", f"{API}/projects", edge.DEFAULT_BODY_BYTES, None),
    ("post", f"{API}/projects/default/import", 5_000_000, "PROMPTYARD_MAX_REQUEST_BYTES"),
]


def _stream(total: int, size: int = 64_000) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        chunk = min(size, total - sent)
        yield b" " * chunk
        sent += chunk


@pytest.mark.parametrize(("method", "path", "cap", "setting"), CAPS)
def test_each_route_has_its_own_body_cap(
    app_client: TestClient, core: Core, method: str, path: str, cap: int, setting: str | None
) -> None:
    create(app_client, "p", "Hello")
    before = snapshot(core)
    over = b" " * (cap + 1)  # whitespace: nothing to parse, only bytes to count
    for content in (over, _stream(cap + 1)):
        response = app_client.request(method, path, content=content, headers=JSON)
        err = error(response, 413, "payload_too_large")
        assert err["details"] == {"max_bytes": cap, "setting": setting}
        assert str(cap) in err["message"] and path in err["message"]
        if setting:
            assert setting in err["message"]
    at_cap = app_client.request(method, path, content=b" " * cap, headers=JSON)
    assert at_cap.status_code != 413, (path, at_cap.text[:300])
    assert snapshot(core) == before


def test_caps_never_exceed_the_global_limit(core: Core) -> None:
    settings = core.settings.model_copy(update={"max_request_bytes": 10_000})
    for key in (("POST", RENDER), ("POST", PROMPTS), ("PUT", f"{PROMPTS}/{{name}}/labels/x")):
        limit = edge.body_limit(settings, key)
        assert limit.max_bytes == 10_000
        assert limit.setting == "PROMPTYARD_MAX_REQUEST_BYTES"


def test_every_capped_route_exists(core: Core) -> None:
    routes = {(method, path) for method, path, _ in iter_app_routes(create_app(core).routes)}
    for key in edge.RENDER_ROUTES | edge.PROMPT_ROUTES | edge.BUNDLE_ROUTES:
        assert key in routes, f"{key} is capped in server/edge.py but is not a route"


# -- JSON nesting depth -----------------------------------------------------------------

DEEP_BODIES = [
    ("post", PROMPTS, {"name": "m", "content": "x", "metadata": nested(254)}),
    ("post", PROMPTS, {"name": "c", "content": "x", "config": nested(252)}),
    ("post", PROMPTS, {"name": "c", "content": "x", "config": nested(251)}),
    ("post", PROMPTS, {"name": "c", "content": "x", "metadata": nested(32)}),
    ("patch", f"{PROMPTS}/p", {"metadata": nested(40)}),
    ("post", RENDER, {"content": "{{ v }}", "variables": {"v": nested(100)}}),
    ("post", f"{PROMPTS}/p/render", {"variables": {"v": nested(33)}}),
    ("put", f"{PROMPTS}/p/labels/production", {"version": nested(40, 1)}),
    ("post", f"{API}/auth/login", {"email": nested(40, "x"), "password": "y"}),
    (
        "post",
        f"{API}/change-requests",
        {"prompt": "p", "version": 1, "label": "production", "sample_variables": nested(60)},
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), DEEP_BODIES)
def test_json_nested_past_32_levels_is_422(
    app_client: TestClient, core: Core, method: str, path: str, body: Any
) -> None:
    create(app_client, "p", "Hello {{ v }}")
    before = snapshot(core)
    assert depth_of_body(body) > 32
    response = app_client.request(method, path, content=json.dumps(body).encode(), headers=JSON)
    err = error(response, 422, "json_too_deep")
    assert "32 levels" in err["message"]
    assert err["details"] == {"max_depth": 32}
    assert snapshot(core) == before


@pytest.mark.parametrize("levels", [1_000, 100_000])
def test_json_too_deep_for_any_parser_is_422(
    app_client: TestClient, core: Core, levels: int
) -> None:
    before = snapshot(core)
    for path in (PROMPTS, RENDER, f"{API}/projects/default/import"):
        body = b"[" * levels + b"]" * levels
        response = app_client.post(path, content=body, headers=JSON)
        err = error(response, 422, "json_too_deep")
        assert "32 levels" in err["message"], path
    assert snapshot(core) == before


def test_32_levels_pass_the_edge(app_client: TestClient) -> None:
    body = {"content": "{{ v | length }}", "variables": {"v": nested(30)}}
    assert depth_of_body(body) == 32
    assert ok(app_client.post(RENDER, json=body))["rendered"] == "1"


def test_stored_json_is_capped_at_24_levels_and_always_reads_back(
    app_client: TestClient, core: Core
) -> None:
    deepest = nested(24)
    config = {"model": "m", "provider_options": nested(23)}
    created = create(app_client, "deep", "Hi", metadata=deepest, config=config)
    assert created["metadata"] == deepest
    assert ok(get(app_client, "deep"))["version"]["config"] == config
    for fields in (
        {"metadata": nested(25)},
        {"config": {"provider_options": nested(24)}},
        {"config": {"extra_option": nested(25)}},
    ):
        for response in (
            app_client.post(PROMPTS, json={"name": "x", "content": "x", **fields}),
            app_client.patch(f"{PROMPTS}/deep", json=fields),
        ):
            err = error(response, 422, "validation_error")
            assert "24 levels" in err["message"], err
    samples = {
        "prompt": "deep",
        "version": 1,
        "label": "production",
        "sample_variables": nested(25),
    }
    err = error(app_client.post(f"{API}/change-requests", json=samples), 422, "validation_error")
    assert "24 levels" in err["message"]
    # What was accepted exports and imports back unchanged.
    exported = app_client.get(f"{API}/projects/default/export")
    assert exported.status_code == 200, exported.text[:500]
    new_project(app_client, "copy")
    imported = app_client.post(
        f"{API}/projects/copy/import", content=exported.content, headers=JSON
    )
    assert ok(imported)["created"] == ["deep"]
    copy = ok(get(app_client, "deep", project="copy"))
    assert copy["metadata"] == deepest and copy["version"]["config"] == config


# -- large bodies off the event loop ----------------------------------------------------


@pytest.fixture
def roomy_core(settings: Settings) -> Iterator[Core]:
    """A server whose operator raised the render cap to the global 5 MB."""
    core = build_core(
        settings.model_copy(update={"max_render_request_bytes": 5_000_000}), entry_points=False
    )
    auth.bootstrap(core)
    yield core
    core.store.dispose()


def test_healthz_answers_while_a_large_body_is_checked(
    roomy_core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 4.5 MB render body (the finding's case) must not stall health checks.

    Checking a body this size takes a while in Python; here it is made to take at least a
    second more, so that wherever it runs shows: on the event loop, /healthz would wait.
    """
    real = schemas._unstorable_path
    big = "variables"

    def slow(value: Any, path: str = "") -> str | None:
        if not path and isinstance(value, dict) and big in value:
            time.sleep(1.0)
        return real(value, path)

    monkeypatch.setattr(schemas, "_unstorable_path", slow)
    monkeypatch.setattr(schemas, "_all_storable", lambda _value: False, raising=False)
    body = json.dumps({"content": "{{ xs | length }}", big: {"xs": [0] * 1_500_000}}).encode()
    assert 4_000_000 < len(body) < 5_000_000
    latencies: list[float] = []
    outcome: dict[str, Any] = {}
    with serve_core(roomy_core) as server:

        def render() -> None:
            started = time.perf_counter()
            response = httpx.post(
                server.url + RENDER,
                content=body,
                headers={**JSON, "authorization": f"Bearer {API_KEY}"},
                timeout=60,
            )
            outcome["status"] = response.status_code
            outcome["text"] = response.text[:300]
            outcome["seconds"] = time.perf_counter() - started

        worker = threading.Thread(target=render)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            worker.start()
            while worker.is_alive():
                started = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.02)
        worker.join()
    assert max(latencies) < 0.5, f"/healthz waited {max(latencies):.2f} s"
    assert outcome["status"] == 200, outcome
    assert outcome["seconds"] > 1.0  # the slow check did run while we polled
    assert len(latencies) >= 10


# -- unexpected errors ------------------------------------------------------------------


def test_an_unexpected_error_is_a_json_500_and_keeps_the_connection(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug the test planted")

    monkeypatch.setattr(search, "list_prompts", broken)
    with (
        serve_core(core) as server,
        httpx.Client(
            base_url=server.url, headers={"authorization": f"Bearer {API_KEY}"}, timeout=10
        ) as client,
    ):
        first = client.get(PROMPTS, headers={"x-request-id": "req-500"})
        second = client.get("/healthz")

        def local_port(response: httpx.Response) -> int:
            stream = response.extensions["network_stream"]
            return int(stream.get_extra_info("client_addr")[1])

        assert local_port(second) == local_port(first), "the server dropped the connection"
        assert second.status_code == 200
        err = error(first, 500, "internal_error")
        assert err["details"] == {"request_id": "req-500"}
        assert first.headers["x-request-id"] == "req-500"
