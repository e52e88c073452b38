"""The analytics dashboard (issue 10) against the real API: generations reported over
the last days, then the dashboard's totals, a chart read as a table whose cell opens the
generations behind it, the prompt's metrics by version with the comparison, and the
page at 390 px."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from e2e_helpers import check_page
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def seeded(api):  # type: ignore[no-untyped-def]
    rng = random.Random(5)
    now = datetime.now(UTC)
    items = []
    for i in range(300):
        version = 1 if i < 150 else 2
        items.append(
            {
                "id": f"dash-{i:04d}",
                "prompt_name": "dash-prompt",
                "prompt_version": version,
                "provider": "openai",
                "model": "gpt-4o" if i % 2 else "gpt-4o-mini",
                "input_tokens": 400,
                "output_tokens": 80,
                "input_cost": 0.004 if version == 1 else 0.003,
                "output_cost": 0.002,
                "latency_ms": rng.lognormvariate(6.4, 0.3),
                "user_id": f"user-{i % 9}",
                "feature": "chat" if i % 3 else "search",
                "start_time": (now - timedelta(hours=2 + (i % 120))).isoformat(),
            }
        )
    response = api.post("/generations/batch", json={"generations": items})
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 300
    return items


def test_the_dashboard_shows_totals_and_opens_a_buckets_generations(page, seeded) -> None:  # type: ignore[no-untyped-def]
    page.goto("/p/default/dashboard?range=7d")
    totals = page.get_by_role("definition").first
    expect(totals).to_have_text("300")
    expect(page.get_by_role("region", name="Top prompts by cost")).to_contain_text("dash-prompt")
    expect(page.get_by_role("region", name="By model")).to_contain_text("gpt-4o-mini")
    check_page(page, "the analytics dashboard", "analytics-dashboard")
    chart = page.get_by_role("figure", name="Requests")
    chart.get_by_role("button", name="Show as table").click()
    table = chart.get_by_role("table")
    expect(table).to_be_visible()
    # the first non-empty day opens the generations explorer filtered to that day
    cell = table.get_by_role("link").filter(has_not_text="0").first
    cell.click()
    expect(page).to_have_url(re.compile(r"/p/default/generations\?.*since="))
    expect(page.get_by_role("heading", name="Generations")).to_be_visible()


def test_a_prompts_metrics_compare_its_versions(page, api, seeded) -> None:  # type: ignore[no-untyped-def]
    created = api.post("/prompts", json={"name": "dash-prompt", "content": "Hi {{ name }}"})
    assert created.status_code in (201, 409), created.text
    page.goto("/p/default/prompts/dash-prompt/metrics")
    expect(page.get_by_role("heading", name="Last 30 days by version")).to_be_visible()
    expect(page.get_by_role("row", name="v2")).to_contain_text("150")
    page.get_by_role("button", name="Compare").click()
    sentence = page.get_by_role("status").filter(has_text="per call")
    expect(sentence).to_contain_text("Version 2 costs")
    expect(sentence).to_contain_text("less per call than version 1")
    check_page(page, "a prompt's metrics", "prompt-metrics")


def test_the_dashboard_reads_at_390_px(mobile_page, seeded) -> None:  # type: ignore[no-untyped-def]
    mobile_page.goto("/p/default/dashboard")
    expect(mobile_page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(mobile_page.get_by_role("figure", name="Cost")).to_be_visible()
    check_page(mobile_page, "the dashboard at 390 px")
