"""Evaluation runs end to end on the fake provider: create, estimate, execute, results,
cancel and resume, the cache, comparison, bounds and isolation."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import stats
from sqlalchemy import func, select

from promptyard.config import Settings
from promptyard.services.context import Core
from promptyard.services.evaluation import runs_exec, runs_stats
from promptyard.store.models import SqlEvaluationRunItem, SqlGeneration
from tests._factories import project_id
from tests.evaluation._runs_helpers import body, finish, make_dataset, make_prompt

P = {"project": "default"}


@pytest.fixture
def seeded(app_client: TestClient, core: Core) -> TestClient:
    make_prompt(app_client)
    make_dataset(core)
    return app_client


def _start(client: TestClient, **extra: object) -> dict:
    created = client.post("/api/v1/evaluations", params=P, json=body(**extra))
    assert created.status_code == 201, created.text
    return created.json()


def _generations(core: Core) -> int:
    with core.store.read() as session:
        return int(
            session.execute(
                select(func.count()).where(SqlGeneration.feature == "evaluation")
            ).scalar_one()
        )


def test_run_end_to_end_with_exact_match(seeded: TestClient, core: Core) -> None:
    run = _start(seeded)
    assert run["status"] == "queued"
    assert run["progress"]["total"] == 12  # 6 cases x 2 versions
    assert [v["resolved_version"] for v in run["variants"]] == [1, 2]
    state = finish(core, run["id"])
    assert state["status"] == "completed"
    assert (state["done"], state["failed"]) == (12, 0)

    got = seeded.get(f"/api/v1/evaluations/{run['id']}", params=P).json()
    first, second = got["summary"]["variants"]
    (v1,) = first["evaluators"]
    (v2,) = second["evaluators"]
    assert (v1["name"], v1["kind"], v1["value"]) == ("exact_match", "pass_rate", 1.0)
    assert v2["value"] == 0.0
    assert (v1["ci_low"], v1["ci_high"]) == (1.0, 1.0)
    assert first["latency_ms"]["p50"] is not None

    # every output is a generation linked to the run, with the run in its metadata
    generation_id = None
    results = seeded.get(f"/api/v1/evaluations/{run['id']}/results", params=P).json()
    assert results["total"] == 6 and len(results["items"]) == 6
    case = results["items"][0]
    assert case["input"] == {"text": "word 0"} and case["expected"] == "word 0"
    base, shouted = case["variants"]
    assert base["outputs"][0]["output"] == "word 0"
    assert shouted["outputs"][0]["output"] == "WORD 0"
    assert base["outputs"][0]["scores"]["exact_match"]["passed"] is True
    assert "-word 0" in shouted["diff"] and "+WORD 0" in shouted["diff"]
    generation_id = base["outputs"][0]["generation_id"]
    generation = seeded.get(f"/api/v1/generations/{generation_id}", params=P).json()
    assert generation["metadata"]["evaluation_run"] == run["id"]
    assert generation["metadata"]["case"] == "c0"
    assert generation["prompt"]["version"] == 1
    assert _generations(core) == 12

    page = seeded.get(
        f"/api/v1/evaluations/{run['id']}/results", params={**P, "offset": 4, "limit": 5}
    ).json()
    assert [c["case_id"] for c in page["items"]] == ["c4", "c5"]


def test_dry_run_answers_the_estimate_and_starts_nothing(seeded: TestClient) -> None:
    answer = seeded.post(
        "/api/v1/evaluations",
        params=P,
        json=body(dry_run=True, params={"max_tokens": 50}, repetitions=2),
    )
    assert answer.status_code == 200, answer.text
    estimate = answer.json()["estimate"]
    assert estimate["items"] == 24 and estimate["cases"] == 6
    assert estimate["output_basis"] == "max_tokens"
    assert estimate["output_tokens"] == 6 * 50 * 2 * 2
    per_case = math.ceil(len("word 0") / 4)  # the fake provider's own count
    assert estimate["variants"][0]["input_tokens"] == per_case * 6 * 2
    assert estimate["cost"] == 0.0  # the fake provider is free
    listed = seeded.get("/api/v1/evaluations", params=P).json()
    assert listed["total"] == 0


def test_cache_reuses_identical_calls_unless_told_not_to(seeded: TestClient, core: Core) -> None:
    first = _start(seeded)
    finish(core, first["id"])
    assert _generations(core) == 12
    second = _start(seeded)
    state = finish(core, second["id"])
    assert (state["done"], state["cached"]) == (12, 12)
    assert _generations(core) == 12  # no new call, no new generation
    third = _start(seeded, use_cache=False)
    state = finish(core, third["id"])
    assert state["cached"] == 0
    assert _generations(core) == 24


def test_cancel_then_resume_finishes_the_rest_exactly_once(seeded: TestClient, core: Core) -> None:
    created = seeded.post(
        "/api/v1/providers", json={"name": "slow", "kind": "fake", "options": {"latency_ms": 30}}
    )
    assert created.status_code == 201, created.text
    make_dataset(core, "many", count=200)
    run = _start(seeded, dataset="many", models=["slow/echo"], versions=[1], concurrency=2)
    worker = threading.Thread(target=runs_exec.execute, args=(core, run["id"]))
    worker.start()
    deadline = time.monotonic() + 30
    while seeded.get(f"/api/v1/evaluations/{run['id']}", params=P).json()["progress"]["done"] < 4:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    cancelled = seeded.post(f"/api/v1/evaluations/{run['id']}/cancel", params=P)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    worker.join(30)
    assert not worker.is_alive()
    with core.store.read() as session:
        pending = session.execute(
            select(func.count()).where(
                SqlEvaluationRunItem.run_id == run["id"], SqlEvaluationRunItem.status == "pending"
            )
        ).scalar_one()
    assert pending > 0
    again = seeded.post(f"/api/v1/evaluations/{run['id']}/cancel", params=P)
    assert again.status_code == 409

    resumed = seeded.post(f"/api/v1/evaluations/{run['id']}/resume", params=P)
    assert resumed.status_code == 200 and resumed.json()["status"] == "queued"
    state = finish(core, run["id"])
    assert (state["status"], state["done"], state["failed"]) == ("completed", 200, 0)
    with core.store.read() as session:
        ids = list(
            session.scalars(
                select(SqlEvaluationRunItem.generation_id).where(
                    SqlEvaluationRunItem.run_id == run["id"]
                )
            )
        )
        stored = session.execute(
            select(func.count()).where(
                SqlGeneration.feature == "evaluation", SqlGeneration.status == "ok"
            )
        ).scalar_one()
    assert len(set(ids)) == 200 and None not in ids
    assert stored == 200  # each item called once (a call cut by the cancel is not stored)


def test_compare_lists_regressions_and_the_trend(seeded: TestClient, core: Core) -> None:
    good = _start(seeded, versions=[1])
    finish(core, good["id"])
    bad = _start(seeded, versions=[2])
    finish(core, bad["id"])
    compared = seeded.get(
        f"/api/v1/evaluations/{bad['id']}/compare", params={**P, "baseline": good["id"]}
    )
    assert compared.status_code == 200, compared.text
    (exact,) = compared.json()["evaluators"]
    assert exact["regressed_count"] == 6 and exact["improved_count"] == 0
    assert exact["regressed"][0] == "c0"
    assert (exact["baseline"]["value"], exact["run"]["value"]) == (1.0, 0.0)
    trend = compared.json()["trend"]
    assert [(p["version"], p["values"]["exact_match"]) for p in trend] == [(1, 1.0), (2, 0.0)]
    back = seeded.get(
        f"/api/v1/evaluations/{good['id']}/compare", params={**P, "baseline": bad["id"]}
    ).json()
    assert back["evaluators"][0]["improved_count"] == 6


def test_repetitions_report_stability(seeded: TestClient, core: Core) -> None:
    run = _start(seeded, versions=[1], repetitions=3)
    finish(core, run["id"])
    summary = seeded.get(f"/api/v1/evaluations/{run['id']}", params=P).json()["summary"]
    stability = summary["variants"][0]["stability"]["exact_match"]
    assert stability == {
        "cases": 6,
        "mean_std": 0.0,
        "pass_agreement": 1.0,
        "output_agreement": 1.0,
    }


def test_bad_requests_are_clear_4xx(seeded: TestClient, core: Core, settings: Settings) -> None:
    def post(**extra: object) -> tuple[int, str]:
        answer = seeded.post("/api/v1/evaluations", params=P, json=body(**extra))
        return answer.status_code, answer.json()["error"]["code"]

    assert post(prompt="nope")[0] == 404
    assert post(dataset="nope")[0] == 404
    assert post(models=["nowhere/x"])[0] == 422
    assert post(evaluators=[{"kind": "no_such_evaluator"}])[0] == 422
    assert post(evaluators=[{"kind": "exact_match"}, {"kind": "exact_match"}])[0] == 422
    assert post(dataset="words@1", dataset_version=2)[0] == 422
    core.settings.evaluation_max_items = 5
    assert post() == (422, "run_too_large")
    assert seeded.get("/api/v1/evaluations/999", params=P).status_code == 404
    assert seeded.post("/api/v1/evaluations/999/cancel", params=P).status_code == 404


def test_another_workspace_cannot_read_or_cancel(
    seeded: TestClient, core: Core, anon_client: TestClient
) -> None:
    from tests.security._setup import other_workspace

    run = _start(seeded)
    token = other_workspace(core)
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("", "/results"):
        answer = anon_client.get(
            f"/api/v1/evaluations/{run['id']}{path}", params=P, headers=headers
        )
        assert answer.status_code == 404, answer.text
    answer = anon_client.get(
        f"/api/v1/evaluations/{run['id']}", params={"project": "other"}, headers=headers
    )
    assert answer.status_code == 404
    cancel = anon_client.post(
        f"/api/v1/evaluations/{run['id']}/cancel", params={"project": "other"}, headers=headers
    )
    assert cancel.status_code == 404


def test_bootstrap_interval_matches_scipy() -> None:
    values = [0.0, 1.0, 1.0, 0.5, 0.25, 1.0, 0.0, 0.75, 1.0, 0.9]
    low, high = runs_stats.bootstrap_ci(values)
    expected = stats.bootstrap(
        (np.asarray(values),),
        np.mean,
        confidence_level=0.95,
        n_resamples=runs_stats.RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(runs_stats.SEED),
    ).confidence_interval
    assert low == pytest.approx(expected.low) and high == pytest.approx(expected.high)
    assert low is not None and high is not None
    assert low < float(np.mean(values)) < high
    assert runs_stats.bootstrap_ci([1.0]) == (None, None)
    assert runs_stats.bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)


def test_a_running_runs_summary_is_shared_by_its_pollers(
    seeded: TestClient, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A running run's summary reads every item: polls within a second (or while the
    progress has not moved) get the last one, later polls after progress a new one."""
    from promptyard.services.evaluation import runs_results
    from promptyard.store.models import SqlEvaluationRun

    run_id = _start(seeded)["id"]
    finish(core, run_id)
    now = [1000.0]
    monkeypatch.setattr(runs_results, "monotonic", lambda: now[0])

    def set_running(done: int, failed: int, failed_case: int | None = None) -> None:
        with core.store.write() as session:
            run = session.get(SqlEvaluationRun, run_id)
            assert run is not None
            run.status, run.summary = "running", None
            run.done_items, run.failed_items = done, failed
            if failed_case is not None:
                item = session.execute(
                    select(SqlEvaluationRunItem).where(
                        SqlEvaluationRunItem.run_id == run_id,
                        SqlEvaluationRunItem.case_index == failed_case,
                        SqlEvaluationRunItem.variant == 0,
                    )
                ).scalar_one()
                item.status = "failed"

    def failed_in_variant_0() -> int:
        summary = runs_results.live_summary(core, project_id(core), run_id)
        return int(summary["variants"][0]["failed"])

    set_running(12, 0)
    assert failed_in_variant_0() == 0
    set_running(11, 1, failed_case=0)
    now[0] += 0.5
    assert failed_in_variant_0() == 0  # progress moved, but the summary is half a second old
    now[0] += 0.6
    assert failed_in_variant_0() == 1  # older than a second: computed again
    set_running(11, 1, failed_case=1)  # an item changed, the counters did not
    now[0] += 5.0
    assert failed_in_variant_0() == 1  # progress has not moved: the same summary
    set_running(10, 2)
    assert failed_in_variant_0() == 2
    # The API's poll answers the same shared summary.
    polled = seeded.get(f"/api/v1/evaluations/{run_id}", params=P).json()
    assert polled["summary"]["variants"][0]["failed"] == 2
