"""The business metrics of ``GET /metrics`` the shipped dashboards and alerts read:
per-prompt counters and ingest delay (from generations stored through the API), budget
spend against its period, evaluation verdicts and experiments, from the real database."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from promptyard.services.alerts import periods
from promptyard.services.context import Core
from promptyard.services.evaluation import scores
from tests._factories import project_id
from tests.api._helpers import ok
from tests.experiments._helpers import running_experiment

API = "/api/v1"


def _samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_prompt_counters_and_ingest_delay_follow_stored_generations(
    app_client: TestClient, core: Core
) -> None:
    before = _samples(app_client)
    start = core.clock() - timedelta(minutes=3)
    body = {
        "generations": [
            {
                "id": f"metrics-{n}",
                "prompt_name": "metrics-probe",
                "model": "gpt-4o",
                "provider": "openai",
                "input_tokens": 100,
                "output_tokens": 20,
                "latency_ms": 1000.0,
                "start_time": start.isoformat(),
                "status": "error" if n == 2 else "ok",
            }
            for n in range(3)
        ]
    }
    ok(app_client.post(f"{API}/generations/batch", json=body))
    after = _samples(app_client)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    probe = {"project": "default", "prompt": "metrics-probe"}
    assert delta("promptyard_prompt_generations_total", **probe, status="ok") == 2
    assert delta("promptyard_prompt_generations_total", **probe, status="error") == 1
    assert delta("promptyard_prompt_generation_latency_seconds_total", **probe) == 3.0
    assert delta("promptyard_prompt_generation_cost_usd_total", **probe) > 0
    # stored about 179 s after the calls ended: above 60 s, within 300 s
    delay = "promptyard_generation_ingest_delay_seconds"
    assert delta(f"{delay}_bucket", source="api", le="60.0") == 0
    assert delta(f"{delay}_bucket", source="api", le="300.0") == 3
    assert delta(f"{delay}_count", source="api") == 3
    assert 3 * 170 < delta(f"{delay}_sum", source="api") < 3 * 200


def test_budget_spend_ratio_and_period_share(app_client: TestClient, core: Core) -> None:
    ok(
        app_client.post(
            f"{API}/budgets",
            json={"name": "daily", "project": "default", "amount": 10, "period": "day"},
        ),
        201,
    )
    ok(
        app_client.post(
            f"{API}/budgets",
            json={"name": "idle", "scope": "workspace", "amount": 5, "period": "month"},
        ),
        201,
    )
    now = core.clock()
    body = {
        "generations": [
            {
                "id": "spend-1",
                "model": "gpt-4o",
                "input_cost": 2.5,
                "output_cost": 1.5,
                "start_time": now.isoformat(),
            }
        ]
    }
    ok(app_client.post(f"{API}/generations/batch", json=body))
    samples = _samples(app_client)
    daily = {"workspace": "default", "budget": "daily", "project": "default", "period": "day"}
    assert _value(samples, "promptyard_budget_spend_ratio", **daily) == 0.4
    assert _value(samples, "promptyard_budget_amount_usd", **daily) == 10
    start, end = periods.period_bounds("day", now)
    share = (now - start) / (end - start)
    elapsed = _value(samples, "promptyard_budget_period_elapsed_ratio", **daily)
    assert abs(elapsed - share) < 0.01
    idle = {"workspace": "default", "budget": "idle", "project": "", "period": "month"}
    assert _value(samples, "promptyard_budget_amount_usd", **idle) == 5


def test_evaluation_verdicts_and_experiments(app_client: TestClient, core: Core) -> None:
    project = project_id(core)
    old = core.clock() - timedelta(days=2)
    scores.record_scores(
        core,
        [
            {"name": "exact", "passed": True, "value": 1.0},
            {"name": "exact", "passed": True, "value": 1.0},
            {"name": "exact", "passed": False, "value": 0.0},
            {"name": "judge", "passed": False, "source": "judge"},
            {"name": "mean-only", "value": 0.7},  # no verdict: not counted
            {"name": "exact", "passed": False, "created_at": old},  # outside the window
        ],
        project_id=project,
    )
    running_experiment(app_client)
    samples = _samples(app_client)
    verdicts = "promptyard_evaluation_scores"
    base = {"project": "default"}
    assert _value(samples, verdicts, **base, source="evaluator", outcome="passed") == 2
    assert _value(samples, verdicts, **base, source="evaluator", outcome="failed") == 1
    assert _value(samples, verdicts, **base, source="judge", outcome="failed") == 1
    assert _value(samples, "promptyard_experiments", **base, status="running") == 1
    assert _value(samples, "promptyard_experiments", **base, status="draft") == 0
    assert _value(samples, "promptyard_experiment_variants_stopped", **base) == 0
