"""An app that stopped leaves nothing behind (a process that builds app after app, like
this suite, keeps none of the stopped ones), and ``promptyard serve`` freezes the heap it
built at start-up (short collections while it serves)."""

from __future__ import annotations

import gc
import weakref

from fastapi.testclient import TestClient

from promptyard.cli.serve import freeze_start_up_heap
from promptyard.server.app import create_app
from promptyard.services.context import Core


def test_a_stopped_app_is_collected(core: Core) -> None:
    app = create_app(core, static_dir=None)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
    stopped = weakref.ref(app)
    del app, client
    gc.collect()
    assert stopped() is None
    assert gc.get_freeze_count() == 0  # the app itself never freezes the heap


def test_serve_freezes_what_it_built_at_start_up() -> None:
    assert gc.get_freeze_count() == 0
    probe = {"built": ["at start-up"]}  # alive for the whole process, like the app
    try:
        freeze_start_up_heap()
        assert gc.get_freeze_count() > 0
        # frozen: out of the collector's sight, so no collection walks it again
        assert not any(seen is probe for seen in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(seen is probe for seen in gc.get_objects())
