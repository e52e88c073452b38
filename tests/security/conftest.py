"""The app with the console mounted (so its route is covered too) and keys of every role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from promptyard.server.app import create_app
from promptyard.services.context import Core
from tests.conftest import API_KEY
from tests.security._setup import role_keys, seed


@pytest.fixture
def full_app(core: Core, tmp_path: Path) -> FastAPI:
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text("<!doctype html><title>Promptyard</title>")
    return create_app(core, static_dir=static)


@pytest.fixture
def client(full_app: FastAPI) -> Iterator[TestClient]:
    """No default credentials: every request says who it is."""
    with TestClient(full_app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def keys(core: Core, client: TestClient) -> dict[str, str]:
    """``{role: token}`` for every role, the second workspace's admin, and ``p`` seeded."""
    found = role_keys(core)
    client.headers["Authorization"] = f"Bearer {API_KEY}"
    seed(client)
    del client.headers["Authorization"]
    return found
