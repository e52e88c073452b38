"""Shared fixtures: a real database per test, the ASGI app, and a live HTTP server.

Storage and API tests run on SQLite, and also on PostgreSQL when
``PROMPTYARD_TEST_POSTGRES_URL`` is set (``make test`` and ``.ci/run`` set it when a
server answers on 127.0.0.1:5432). SQLite tests each get a copy of one database
migrated once per session; PostgreSQL tests share one database per session, emptied
between tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from promptyard.config import Settings
from promptyard.server.app import create_app
from promptyard.services.context import Core
from promptyard.services.identity import auth
from promptyard.store import migrate
from promptyard.store.engine import Store
from promptyard.wiring import build_core

API_KEY = "py_test_admin_key_0123456789"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
PG_URL = os.environ.get("PROMPTYARD_TEST_POSTGRES_URL")

BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    store = Store(f"sqlite:///{path}")
    migrate.upgrade(store)
    store.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    assert PG_URL is not None
    name = f"promptyard_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    migrate.upgrade(store)
    store.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_PG_TABLES = (
    "audit_events, sessions, label_events, labels, branches, prompt_tags, prompt_versions, "
    "change_request_events, change_requests, webhook_deliveries, webhooks, login_throttle, "
    "invitations, project_members, prompts, api_keys, memberships, users, projects, workspaces"
)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        target = tmp_path / "promptyard.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("_pg_database")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {_PG_TABLES} RESTART IDENTITY CASCADE"))
        connection.execute(text("UPDATE audit_head SET seq = 0, hash = :h"), {"h": "0" * 64})
    engine.dispose()
    return url


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=db_url,
        init_api_key=API_KEY,
        init_admin_email=ADMIN_EMAIL,
        init_admin_password=ADMIN_PASSWORD,
    )


@pytest.fixture
def core(settings: Settings) -> Iterator[Core]:
    core = build_core(settings, entry_points=False)
    auth.bootstrap(core)
    yield core
    core.store.dispose()


@pytest.fixture
def app_client(core: Core) -> Iterator[TestClient]:
    """The ASGI app with the admin key, through Starlette's TestClient."""
    with TestClient(
        create_app(core, static_dir=None),
        headers={"Authorization": f"Bearer {API_KEY}"},
        raise_server_exceptions=False,
    ) as client:
        yield client


@pytest.fixture
def anon_client(core: Core) -> Iterator[TestClient]:
    with TestClient(create_app(core, static_dir=None), raise_server_exceptions=False) as client:
        yield client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """uvicorn serving the app on a real loopback port, in a thread."""

    def __init__(self, core: Core) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(core, static_dir=None),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("live server did not start")

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(core: Core) -> Iterator[LiveServer]:
    with LiveServer(core) as server:
        yield server
