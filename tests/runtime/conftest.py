"""One scripted wire server per module, emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.runtime._wire import WireServer, wire_server


@pytest.fixture(scope="module")
def _wire_module() -> Iterator[WireServer]:
    with wire_server() as server:
        yield server


@pytest.fixture
def wire(_wire_module: WireServer) -> WireServer:
    _wire_module.app.reset()
    return _wire_module
