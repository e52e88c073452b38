"""The database becoming unreachable while the server runs: requests fail fast with 503
``database_unavailable`` and ``Retry-After``, ``/readyz`` says why, and the server
recovers by itself. Real PostgreSQL, reached through a TCP proxy the test closes, and a
database renamed away and back."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from promptyard.config import Settings
from promptyard.server.app import create_app
from promptyard.services.identity import auth
from promptyard.store import migrate
from promptyard.store.engine import Store
from promptyard.wiring import build_core
from tests._server import free_port
from tests.conftest import API_KEY, PG_URL

pytestmark = pytest.mark.skipif(PG_URL is None, reason="needs PROMPTYARD_TEST_POSTGRES_URL")


class Proxy:
    """A TCP proxy to PostgreSQL on a fixed local port that can be cut and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Refuse new connections and break every open one."""
        if self._listener is not None:  # shut down first: wakes the thread in accept()
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._sockets.clear()


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of this test's own; its URL."""
    assert PG_URL is not None
    name = f"promptyard_down_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    migrate.upgrade(store)
    store.dispose()
    yield url
    with admin.connect() as connection:
        for candidate in (name, f"{name}_away"):
            connection.execute(text(f'DROP DATABASE IF EXISTS "{candidate}" WITH (FORCE)'))
    admin.dispose()


def _client(url: str, tmp_path: Path) -> tuple[TestClient, Store]:
    settings = Settings(
        data_dir=tmp_path, database_url=url, init_api_key=API_KEY, webhook_worker=False
    )
    core = build_core(settings, entry_points=False)
    auth.bootstrap(core)
    app = create_app(core, static_dir=None)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    return TestClient(app, headers=headers, raise_server_exceptions=False), core.store


def _assert_unavailable(client: TestClient, reason: str) -> None:
    for method, path, body in (
        ("POST", "/api/v1/prompts", {"name": "during", "content": "x"}),
        ("GET", "/api/v1/audit", None),  # never served from a cache
        ("GET", "/api/v1/prompts/p/labels", None),
    ):
        started = time.monotonic()
        response = client.request(method, path, json=body)
        assert time.monotonic() - started < 3, "a request waited instead of failing fast"
        assert response.status_code == 503, (path, response.text)
        assert response.headers["retry-after"] == "5"
        error = response.json()["error"]
        assert error["code"] == "database_unavailable" and reason in error["message"]
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
    assert ready.json()["error"]["message"].startswith("database unreachable: ")
    assert reason in ready.json()["error"]["message"]
    assert client.get("/healthz").status_code == 200  # alive, only not ready


def test_a_cut_connection_gives_503_then_recovers(database: str, tmp_path: Path) -> None:
    parsed = make_url(database)
    proxy = Proxy((parsed.host or "127.0.0.1", parsed.port or 5432))
    proxy.start()
    proxied = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    client, store = _client(proxied, tmp_path)
    try:
        with client:
            assert (
                client.post("/api/v1/prompts", json={"name": "p", "content": "x"}).status_code
                == 201
            )
            proxy.cut()
            _assert_unavailable(client, "connection refused")
            proxy.start()
            assert client.get("/api/v1/prompts").json()["total"] == 1
            assert client.get("/readyz").status_code == 200
            assert (
                client.post("/api/v1/prompts", json={"name": "q", "content": "y"}).status_code
                == 201
            )
    finally:
        proxy.cut()
        store.dispose()


def test_a_database_renamed_away_gives_503_then_recovers(database: str, tmp_path: Path) -> None:
    assert PG_URL is not None
    name = make_url(database).database
    client, store = _client(database, tmp_path)
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with client:
            assert (
                client.post("/api/v1/prompts", json={"name": "p", "content": "x"}).status_code
                == 201
            )
            with admin.connect() as connection:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
                connection.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{name}_away"'))
            _assert_unavailable(client, "does not exist")
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{name}_away" RENAME TO "{name}"'))
            assert client.get("/api/v1/audit").status_code == 200
            assert client.get("/readyz").status_code == 200
    finally:
        store.dispose()
        admin.dispose()
