"""`serve --demo` holds a finished evaluation run comparing two versions."""

from __future__ import annotations

from promptyard.cli import demo
from promptyard.services.context import Core
from promptyard.services.evaluation import runs, runs_results
from tests._factories import project_id


def test_the_demo_has_a_finished_run_of_two_versions(core: Core) -> None:
    demo.seed(core)
    found = runs.list_runs(core, project_id=project_id(core))
    assert found.total == 1
    (run,) = found.items
    assert run.status == "completed" and run.progress.failed == 0
    assert [v.resolved_version for v in run.variants] == [1, 3]
    assert run.summary is not None
    names = [e["name"] for e in run.summary["variants"][0]["evaluators"]]
    assert names == ["mentions_topic", "short"]
    page = runs_results.results(core, project_id=project_id(core), run_id=run.id)
    assert page.total == 6 and page.items[0].variants[1]["diff"]
