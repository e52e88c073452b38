"""The app over the test's Core on a real port, with the app at hand (its change hub)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from fastapi import FastAPI

from promptyard.server.app import create_app
from promptyard.services.context import Core
from tests._server import _wait_healthy, free_port


@dataclass(frozen=True)
class Served:
    url: str
    app: FastAPI


@pytest.fixture
def served(core: Core) -> Iterator[Served]:
    core.settings.change_heartbeat_seconds = 0.3
    app = create_app(core, static_dir=None)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, lambda: "" if thread.is_alive() else "the server thread ended")
        yield Served(url, app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
