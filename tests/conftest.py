"""Shared fixtures: a real database per test, the ASGI app, and a live HTTP server.

Storage and API tests run on SQLite, and also on PostgreSQL when
``PROMPTYARD_TEST_POSTGRES_URL`` is set (``make test`` and ``.ci/run`` set it when a
server answers on 127.0.0.1:5432). SQLite tests each get a copy of one database
migrated once per session; PostgreSQL tests share one database per session, emptied
between tests.

Installed entry-point plugins stay out of every test (``build_core`` in-process, the CLI
under ``CliRunner``) unless the test is marked ``installed_plugins``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from promptyard.config import Settings
from promptyard.plugins import manager as plugin_manager
from promptyard.server.app import create_app
from promptyard.services.context import Core
from promptyard.services.identity import auth
from promptyard.store import migrate
from promptyard.store.engine import Store
from promptyard.store.models import Base, SqlAuditHead
from promptyard.wiring import build_core
from tests._server import LiveServer, serve_core

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


#: Every table of the schema but the audit head, which is reset instead of emptied.
_PG_TABLES = ", ".join(
    f'"{table.name}"'
    for table in reversed(Base.metadata.sorted_tables)
    if table.name != SqlAuditHead.__tablename__
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
        # A previous test's server may still hold a connection (a delivery or job thread
        # finishing after its test): end those sessions so the emptying cannot deadlock
        # with them, and nothing of theirs lands in this test's database.
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        connection.execute(text(f"TRUNCATE {_PG_TABLES} RESTART IDENTITY CASCADE"))
        connection.execute(
            text(f"UPDATE {SqlAuditHead.__tablename__} SET seq = 0, hash = :h"), {"h": "0" * 64}
        )
    engine.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database (not migrated): for a ``promptyard serve`` process of a
    test's own, which migrates and bootstraps it as in production."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    assert PG_URL is not None
    name = f"promptyard_fresh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=db_url,
        init_api_key=API_KEY,
        init_admin_email=ADMIN_EMAIL,
        init_admin_password=ADMIN_PASSWORD,
        # A wall-clock budget: on a loaded two-CPU runner a collection pause in a big
        # test process can eat the 1 s default of an ordinary render. Tests of the
        # deadline set their own (tests/api/test_render_limits.py).
        render_timeout_seconds=10.0,
        # The tests' webhook receivers listen on loopback; tests/governance/
        # test_webhook_urls.py checks the policy with it off (the default).
        webhook_allow_private=True,
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


@pytest.fixture
def live_server(core: Core) -> Iterator[LiveServer]:
    """The app over ``core`` on a real loopback port (uvicorn in a thread)."""
    with serve_core(core) as server:
        yield server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "installed_plugins: load the plugins installed as entry points, as serve does"
    )


@pytest.fixture(autouse=True)
def _no_installed_plugins(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the plugin manager at an entry-point group nothing installs, unless asked."""
    if request.node.get_closest_marker("installed_plugins") is None:
        monkeypatch.setattr(plugin_manager, "ENTRY_POINT_GROUP", "promptyard-tests-load-none")
