"""What the evaluation-run tests share: a prompt with two versions, a dataset, and a
way to run a run to its end in the test's thread."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from promptyard.services.context import Core
from promptyard.services.evaluation import datasets, runs_exec
from promptyard.store.models import SqlEvaluationRun
from tests._factories import admin_context, project_id


def make_prompt(client: TestClient, name: str = "greet") -> None:
    """Version 1 answers the text as is (passes exact_match on fake/echo); version 2
    shouts it (fails)."""
    created = client.post("/api/v1/prompts", json={"name": name, "content": "{{ text }}"})
    assert created.status_code == 201, created.text
    updated = client.patch(f"/api/v1/prompts/{name}", json={"content": "{{ text | upper }}"})
    assert updated.status_code == 200, updated.text


def make_dataset(core: Core, name: str = "words", count: int = 6) -> None:
    cases = [
        {"id": f"c{i}", "input": {"text": f"word {i}"}, "expected": f"word {i}"}
        for i in range(count)
    ]
    datasets.create_dataset(core, admin_context(core), project_id(core), name, cases)


def finish(core: Core, run_id: int, timeout: float = 60.0) -> dict[str, Any]:
    """Execute the run here (unless the server's own job took it), then wait until it is
    finished; the run row's main fields."""
    runs_exec.execute(core, run_id)
    deadline = time.monotonic() + timeout
    while True:
        with core.store.read() as session:
            run = session.execute(
                select(SqlEvaluationRun).where(SqlEvaluationRun.id == run_id)
            ).scalar_one()
            state = {
                "status": run.status,
                "done": run.done_items,
                "failed": run.failed_items,
                "cached": run.cached_items,
                "total": run.total_items,
                "summary": run.summary,
            }
        if state["status"] in ("completed", "cancelled", "failed") and (
            state["status"] != "completed" or state["summary"] is not None
        ):
            return state
        assert time.monotonic() < deadline, f"run {run_id} still {state}"
        time.sleep(0.05)


def body(**extra: Any) -> dict[str, Any]:
    return {
        "prompt": "greet",
        "versions": [1, 2],
        "models": ["fake/echo"],
        "dataset": "words",
        "evaluators": [{"kind": "exact_match"}],
        **extra,
    }
