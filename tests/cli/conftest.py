"""The CLI tests drive `promptyard` with CliRunner against a real server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests._server import LiveServer, running_server
from tests.cli._cli import Cli


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-server")) as live:
        yield live


@pytest.fixture
def cli(server: LiveServer) -> Cli:
    return Cli({**server.env(), "PROMPTYARD_PROJECT": "default", "COLUMNS": "200"})


@pytest.fixture
def name() -> str:
    """A prompt name no other test uses (the tests share one server)."""
    return f"t-{uuid.uuid4().hex[:12]}"
