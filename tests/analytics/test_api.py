"""The analytics routes: series, groups, CSV, validation, comparison against scipy on
the raw data, trends with markers, and who may read."""

from __future__ import annotations

import csv
import io
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import stats

from promptyard.services.context import Core
from tests.api._helpers import API, create, error, ok, set_label
from tests.security._setup import other_workspace

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BATCH = f"{API}/generations/batch"
A = f"{API}/analytics"


def gen(index: int, rng: random.Random, version: int, **extra: Any) -> dict[str, Any]:
    # version 2 is cheaper and a little slower, with more errors
    cost = rng.gauss(0.010 if version == 1 else 0.008, 0.002)
    return {
        "id": f"g-{version}-{index:05d}",
        "model": "gpt-4o" if index % 3 else "gpt-4o-mini",
        "provider": "openai",
        "prompt_name": "support",
        "prompt_version": version,
        "input_tokens": 100 + index % 50,
        "output_tokens": 20 + index % 7,
        "input_cost": max(0.0, cost) / 2,
        "output_cost": max(0.0, cost) / 2,
        "latency_ms": rng.lognormvariate(6.5 + 0.05 * version, 0.4),
        "status": "error" if rng.random() < (0.02 if version == 1 else 0.05) else "ok",
        "user_id": f"u{index % 17}",
        "feature": "chat" if index % 2 else "search",
        "start_time": (NOW - timedelta(minutes=5 + index * 7)).isoformat(),
        **extra,
    }


@pytest.fixture
def data(core: Core, app_client: TestClient) -> list[dict[str, Any]]:
    core.clock = lambda: NOW
    rng = random.Random(3)
    items = [gen(i, rng, version) for version in (1, 2) for i in range(600)]
    for start in range(0, len(items), 500):
        body = ok(app_client.post(BATCH, json={"generations": items[start : start + 500]}))
        assert body["created"] == len(items[start : start + 500])
    return items


def test_usage_series_by_model_sum_to_the_rows(app_client: TestClient, data: Any) -> None:
    since = (NOW - timedelta(days=7)).isoformat()
    body = ok(
        app_client.get(
            f"{A}/usage",
            params={"since": since, "until": NOW.isoformat(), "bucket": "day", "group_by": "model"},
        )
    )
    assert body["bucket"] == "day" and body["group_by"] == ["model"]
    by_model = {s["group"]["model"]: s for s in body["series"]}
    for model in ("gpt-4o", "gpt-4o-mini"):
        rows = [i for i in data if i["model"] == model]
        series = by_model[model]
        assert series["total"]["calls"] == len(rows)
        assert sum(p["calls"] for p in series["points"]) == len(rows)
        assert series["total"]["input_tokens"] == sum(i["input_tokens"] for i in rows)
        assert series["total"]["unique_users"] == len({i["user_id"] for i in rows})
    assert len(by_model["gpt-4o"]["points"]) == 8  # 7 days over 8 calendar days


def test_costs_and_performance_answer_their_figures(app_client: TestClient, data: Any) -> None:
    params = {"since": (NOW - timedelta(days=7)).isoformat(), "until": NOW.isoformat()}
    costs = ok(app_client.get(f"{A}/costs", params={**params, "group_by": "version"}))
    for series in costs["series"]:
        version = int(series["group"]["version"])
        rows = [i for i in data if i["prompt_version"] == version]
        total = sum(i["input_cost"] + i["output_cost"] for i in rows)
        assert series["total"]["cost"] == pytest.approx(total)
        assert series["total"]["cost_per_1k_calls"] == pytest.approx(1000 * total / len(rows))
    perf = ok(app_client.get(f"{A}/performance", params=params))
    total = perf["series"][0]["total"]
    latencies = np.sort([i["latency_ms"] for i in data])
    rank = np.searchsorted(latencies, total["latency_p95_ms"]) / len(latencies)
    assert abs(rank - 0.95) < 0.02
    assert total["error_rate"] == pytest.approx(
        sum(i["status"] == "error" for i in data) / len(data)
    )


def test_csv_export_has_one_row_per_group_and_bucket(app_client: TestClient, data: Any) -> None:
    response = app_client.get(
        f"{A}/usage",
        params={
            "since": (NOW - timedelta(days=3)).isoformat(),
            "until": NOW.isoformat(),
            "group_by": "feature",
            "format": "csv",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["feature"] for r in rows} == {"chat", "search"}
    assert len(rows) == 2 * 4
    assert sum(int(r["calls"]) for r in rows) == sum(
        1 for i in data if datetime.fromisoformat(i["start_time"]) >= NOW - timedelta(days=3)
    )
    assert "unique_users" in rows[0] and "bucket" in rows[0]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"bucket": "fortnight"}, 422),
        ({"group_by": "colour"}, 422),
        ({"group_by": "model,model"}, 422),
        ({"group_by": "user,tag"}, 422),
        ({"group_by": "user", "feature": "chat"}, 422),
        (
            {"bucket": "minute", "since": "2026-11-01T00:00:00Z", "until": "2026-11-02T00:00:00Z"},
            422,
        ),
        ({"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, 422),
        ({"version": "0"}, 422),
        ({"format": "xml"}, 422),
    ],
)
def test_bad_queries_are_refused_with_a_reason(
    app_client: TestClient, params: dict[str, str], status: int
) -> None:
    body = error(app_client.get(f"{A}/usage", params=params), status)
    assert body["message"]


def test_too_many_groups_keeps_the_busiest(app_client: TestClient, data: Any) -> None:
    body = ok(
        app_client.get(
            f"{A}/usage",
            params={
                "since": (NOW - timedelta(days=5, hours=12)).isoformat(),
                "until": NOW.isoformat(),
                "bucket": "hour",
                "group_by": "user",
            },
        )
    )
    assert len(body["series"]) * 132 <= 400
    assert body["groups_dropped"] == 17 - len(body["series"])


def welch_ci(a: list[float], b: list[float]) -> tuple[float, float]:
    result = stats.ttest_ind(b, a, equal_var=False)
    ci = result.confidence_interval(0.95)
    return float(ci.low), float(ci.high)


def test_compare_matches_scipy_on_the_raw_rows(app_client: TestClient, data: Any) -> None:
    body = ok(
        app_client.get(
            f"{A}/compare",
            params={
                "prompt": "support",
                "a": "1",
                "b": "2",
                "since": (NOW - timedelta(days=10)).isoformat(),
                "until": NOW.isoformat(),
            },
        )
    )
    metrics = {m["metric"]: m for m in body["metrics"]}
    v1 = [i for i in data if i["prompt_version"] == 1]
    v2 = [i for i in data if i["prompt_version"] == 2]
    low, high = welch_ci(
        [i["input_cost"] + i["output_cost"] for i in v1],
        [i["input_cost"] + i["output_cost"] for i in v2],
    )
    cost = metrics["cost_per_call"]
    assert cost["ci_low"] == pytest.approx(low, rel=1e-6)
    assert cost["ci_high"] == pytest.approx(high, rel=1e-6)
    assert cost["significant"] and cost["relative"] < 0
    low, high = welch_ci([i["latency_ms"] for i in v1], [i["latency_ms"] for i in v2])
    assert metrics["latency_mean_ms"]["ci_low"] == pytest.approx(low, rel=1e-6)
    assert metrics["latency_mean_ms"]["ci_high"] == pytest.approx(high, rel=1e-6)
    # errors: the unpooled two-proportion interval
    e1 = sum(i["status"] == "error" for i in v1) / len(v1)
    e2 = sum(i["status"] == "error" for i in v2) / len(v2)
    se = math.sqrt(e1 * (1 - e1) / len(v1) + e2 * (1 - e2) / len(v2))
    z = stats.norm.ppf(0.975)
    assert metrics["error_rate"]["ci_low"] == pytest.approx(e2 - e1 - z * se)
    # the true p50 difference lies in its (conservative) interval
    p50 = metrics["latency_p50_ms"]
    true = np.median([i["latency_ms"] for i in v2]) - np.median([i["latency_ms"] for i in v1])
    assert p50["ci_low"] <= true <= p50["ci_high"]
    assert body["summary"].startswith("Version 2 costs ")
    assert "less per call than version 1 (95 % CI" in body["summary"]


def test_compare_needs_a_prompt_for_versions_and_two_values(app_client: TestClient) -> None:
    error(app_client.get(f"{A}/compare", params={"a": "1", "b": "2"}), 422)
    error(app_client.get(f"{A}/compare", params={"prompt": "p", "a": "1", "b": "1"}), 422)
    body = ok(app_client.get(f"{A}/compare", params={"prompt": "p", "a": "1", "b": "2"}))
    assert body["summary"].startswith("Not enough data")


def test_trends_mark_versions_and_label_moves_and_forecast(
    core: Core, app_client: TestClient, data: Any
) -> None:
    create(app_client, "support", "Hi {{ name }}")
    ok(app_client.patch(f"{API}/prompts/support", json={"content": "Hello {{ name }}"}))
    ok(set_label(app_client, "support", "production", 2))
    body = ok(
        app_client.get(
            f"{A}/trends",
            params={
                "prompt": "support",
                "since": (NOW - timedelta(days=10)).isoformat(),
                "until": (NOW + timedelta(days=1)).isoformat(),
            },
        )
    )
    assert set(body["versions"]) == {"1", "2"}
    assert sum(p["calls"] for p in body["points"]) == len(data)
    kinds = [(m["kind"], m["version"]) for m in body["markers"]]
    assert ("version", 2) in kinds and ("label", 2) in kinds
    forecast = body["forecast"]
    assert forecast["month"] == "2026-11"
    assert forecast["forecast"] >= forecast["spent"] > 0
    assert "7 whole days" in forecast["method"]


def test_another_workspace_cannot_read_this_projects_analytics(
    core: Core, app_client: TestClient, data: Any
) -> None:
    token = other_workspace(core)
    headers = {"Authorization": f"Bearer {token}"}
    for route in ("usage", "performance", "costs", "trends"):
        response = app_client.get(f"{A}/{route}", params={"project": "default"}, headers=headers)
        assert response.status_code == 404, route
    own = ok(app_client.get(f"{A}/usage", params={"project": "other"}, headers=headers))
    assert sum(s["total"]["calls"] for s in own["series"]) == 0
