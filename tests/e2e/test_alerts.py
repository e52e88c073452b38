"""The budgets and alerts page (issue 10) against a real server whose alert job runs
every 5 s: spend against a budget, a rule that fires on reported traffic, acknowledging
and silencing it, creating and editing a rule, and the page at 390 px."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from e2e_helpers import API_KEY, check_page, free_port, start_server, stop_server
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PAGE = "/p/default/alerts"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """A server of this module's own: alerts evaluated every 5 s (default 60 s)."""
    with tempfile.TemporaryDirectory(prefix="promptyard-e2e-alerts-") as tmp:
        port = free_port()
        proc = start_server(Path(tmp), port, {"PROMPTYARD_ALERT_EVAL_SECONDS": "5"})
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_server(proc)


@pytest.fixture(scope="module")
def fired(base_url: str) -> Iterator[httpx.Client]:
    """6 USD of calls, a 10 USD monthly budget, and a cost rule they fire."""
    with httpx.Client(
        base_url=f"{base_url}/api/v1",
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10,
        limits=httpx.Limits(max_keepalive_connections=0),
    ) as api:
        now = datetime.now(UTC).isoformat()
        calls = [
            {"id": f"e2e-alert-{i}", "model": "gpt-4o-mini", "input_cost": 1.0,
             "output_cost": 1.0, "latency_ms": 300, "start_time": now}
            for i in range(3)
        ]  # fmt: skip
        assert api.post("/generations/batch", json={"generations": calls}).status_code == 200
        budget = api.post(
            "/budgets",
            json={"name": "E2E month", "project": "default", "amount": 10, "forecast": False},
        )
        assert budget.status_code == 201, budget.text
        rule = api.post(
            "/alert-rules",
            json={"name": "e2e spend", "kind": "cost", "threshold": 1, "window_minutes": 60},
        )
        assert rule.status_code == 201, rule.text
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if api.get("/alerts", params={"state": "open"}).json()["items"]:
                break
            time.sleep(1)
        else:
            jobs = api.get("/system/jobs").json()
            pytest.fail(f"the cost rule did not fire within 40 s; jobs: {jobs}")
        yield api


def test_budget_bar_acknowledge_and_silence(page, fired):  # type: ignore[no-untyped-def]
    page.goto("/p/default")
    page.get_by_role("link", name="Alerts").click()
    expect(page.get_by_role("heading", name="Budgets and alerts")).to_be_visible()
    bar = page.get_by_role("progressbar", name="E2E month: spend of the amount")
    expect(bar).to_have_attribute("aria-valuenow", "60")
    expect(page.get_by_text("Threshold crossed")).to_be_visible()

    alerts = page.get_by_role("list", name="Fired alerts")
    item = alerts.get_by_role("listitem").filter(has_text="e2e spend")
    expect(item).to_contain_text("firing")
    item.get_by_role("button", name="Acknowledge").click()
    expect(item).to_contain_text("acknowledged by")
    item.get_by_role("combobox").select_option("24")
    expect(item).to_contain_text("silenced until")
    open_alerts = fired.get("/alerts", params={"state": "open"}).json()["items"]
    (shown,) = [a for a in open_alerts if a["title"].startswith("e2e spend")]
    assert shown["state"] == "acknowledged" and shown["silenced"] is True
    # the budget crossed 50 %: its incident is listed too
    assert any(a["kind"] == "budget" for a in open_alerts)


def test_create_and_edit_a_rule(page, fired):  # type: ignore[no-untyped-def]
    page.goto(PAGE)
    page.get_by_role("button", name="Add rule").click()
    form = page.get_by_role("form", name="New alert rule")
    form.get_by_label("Name").fill("e2e slow")
    form.get_by_label("When").select_option("latency_p95")
    form.get_by_label("Threshold (ms)").fill("-3")
    form.get_by_role("button", name="Save rule").click()
    expect(form.get_by_role("alert")).to_contain_text("at least 0")
    form.get_by_label("Threshold (ms)").fill("2500")
    form.get_by_role("button", name="Save rule").click()
    rules = page.get_by_role("list", name="Alert rules")
    expect(rules).to_contain_text("e2e slow")
    page.get_by_role("button", name="Edit rule e2e slow").click()
    edit = page.get_by_role("form", name="Edit rule e2e slow")
    edit.get_by_label("Threshold (ms)").fill("3000")
    edit.get_by_role("button", name="Save rule").click()
    expect(rules).to_contain_text("latency_p95 gt 3000")
    saved = [r for r in fired.get("/alert-rules").json()["items"] if r["name"] == "e2e slow"]
    assert saved[0]["threshold"] == 3000


def test_usable_at_390_px(mobile_page, fired):  # type: ignore[no-untyped-def]
    mobile_page.goto(PAGE)
    expect(
        mobile_page.get_by_role("progressbar", name="E2E month: spend of the amount")
    ).to_be_visible()
    expect(mobile_page.get_by_role("list", name="Fired alerts")).to_be_visible()
    check_page(mobile_page, "alerts page at 390 px")
