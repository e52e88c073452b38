"""The SDK tests run against a real server started once for the session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from promptyard.client import Client
from tests._server import LiveServer, running_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("client-server")) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> Iterator[Client]:
    with Client(server.url, server.api_key) as sdk:
        yield sdk


@pytest.fixture
def name() -> str:
    """A prompt name no other test uses (the tests share one server)."""
    return f"t-{uuid.uuid4().hex[:12]}"
