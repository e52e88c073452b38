"""The SDK tests run against a real server started once for the session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from promptyard.client import Client
from tests._server import LiveServer, running_server
from tests.client._transport import FakeClock, Recorder


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


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    transport = Recorder()
    yield transport
    transport.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sdk(server: LiveServer, recorder: Recorder, clock: FakeClock) -> Iterator[Client]:
    """A client whose requests are recorded and whose clock the test moves."""
    with (
        httpx.Client(transport=recorder) as http,
        Client(server.url, server.api_key, http_client=http, clock=clock) as client,
    ):
        yield client
