"""`promptyard serve --demo`: the sample workspace, and that seeding runs only once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from promptyard.cli.demo import DEMO_PROMPTS, seed
from promptyard.client import Client
from promptyard.config import load_settings
from promptyard.domain.schemas import ListQuery
from promptyard.services.identity.projects import ensure_default_workspace
from promptyard.services.prompts import branches, rendering, search, versions
from promptyard.store import migrate
from promptyard.store.engine import Store
from promptyard.wiring import build_core
from tests._server import running_server


def test_seed_is_complete_and_idempotent(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}")
    store = Store(settings.resolved_database_url())
    migrate.upgrade(store)
    core = build_core(settings, store)
    try:
        assert seed(core) == len(DEMO_PROMPTS)
        assert seed(core) == 0
        project_id = ensure_default_workspace(core)[1]
        page = search.list_prompts(core, project_id=project_id, query=ListQuery(sort="name"))
        assert sorted(p.name for p in page.items) == sorted(p.name for p in DEMO_PROMPTS)
        assert {p.type for p in page.items} == {"text", "chat"}
        assert len({p.folder for p in page.items}) >= 3
        for prompt in page.items:
            assert 3 <= prompt.latest_version <= 5
            assert {"production", "staging", "latest"} <= set(prompt.labels)
            assert prompt.tags

        history = versions.list_versions(core, project_id=project_id, name="support-reply")
        oldest = min(v.created_at for v in history.items)
        newest = max(v.created_at for v in history.items)
        assert newest - oldest > timedelta(days=3)  # a history spread over days

        by_name = {
            b.name: b
            for b in branches.list_branches(core, project_id=project_id, name="support-reply")
        }
        assert by_name["shorter-replies"].head == history.total

        rendered = rendering.render_prompt(
            core,
            project_id=project_id,
            name="support-reply",
            label="production",
            variables={
                "customer_name": "Ann",
                "question": "Where is my parcel?",
                "agent": "Bo",
                "order_id": "",
            },
        )
        assert "Never blame the customer." in rendered["rendered"]  # tone@production
        assert "Ann" in rendered["rendered"]
    finally:
        store.dispose()


def test_serve_demo(tmp_path: Path) -> None:
    with running_server(tmp_path, demo=True) as live:
        with Client(live.url, live.api_key) as client:
            assert client.list_prompts()["total"] == len(DEMO_PROMPTS)
        assert "demo: seeded" in live.log.read_text()
