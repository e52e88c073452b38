"""`serve --demo` has a running online experiment with a verdict."""

from __future__ import annotations

from pathlib import Path

from promptyard.cli.demo import seed
from promptyard.config import load_settings
from promptyard.services.experiments import analysis, lifecycle
from promptyard.services.identity.projects import ensure_default_workspace
from promptyard.store import migrate
from promptyard.store.engine import Store
from promptyard.wiring import build_core


def test_the_demo_has_a_running_experiment_with_a_verdict(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}")
    store = Store(settings.resolved_database_url())
    migrate.upgrade(store)
    core = build_core(settings, store)
    try:
        seed(core)
        project_id = ensure_default_workspace(core)[1]
        [experiment] = lifecycle.list_experiments(core, project_id=project_id)
        assert experiment.status == "running" and experiment.prompt == "support-reply"
        results = analysis.results(core, project_id=project_id, experiment_id=experiment.id)
        assert results.generations > 2000
        assert results.srm is not None and not results.srm.mismatch
        assert results.verdict == "better", results.verdict_text
        assert len(results.metrics[0].series) >= 13  # a point a day (one treatment)
    finally:
        store.dispose()
