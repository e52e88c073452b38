"""The server freezes what it built at start-up (short collections while it serves) and
hands it back to the collector when it stops: a process that builds app after app keeps
none of the stopped ones."""

from __future__ import annotations

import gc
import weakref

from fastapi.testclient import TestClient

from promptyard.server.app import create_app
from promptyard.services.context import Core


def test_a_stopped_app_is_collected(core: Core) -> None:
    core.settings = core.settings.model_copy(update={"gc_freeze": True})  # the default
    app = create_app(core, static_dir=None)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 0  # serving: the start-up heap is frozen
    stopped = weakref.ref(app)
    del app, client
    gc.collect()
    assert stopped() is None
    assert gc.get_freeze_count() == 0
