"""The console's status page: the health score with every component and the advice for
each that is not green, the scheduler's jobs for admins, what a viewer sees; axe-clean at
390 and 1440 px."""

from __future__ import annotations

import time

import pytest
from e2e_helpers import MOBILE, check_page, create_member, signed_in_context
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WORDS = {"green": "OK", "yellow": "Degraded", "red": "Failing", "unknown": "Unknown"}


def _open(page):  # type: ignore[no-untyped-def]
    """Open the status page; the health score it was answered (it changes as it goes)."""
    with page.expect_response(lambda r: r.url.endswith("/api/v1/system/health")) as answer:
        page.goto("/p/default/status")
    assert answer.value.status == 200
    return answer.value.json()


def _check_health(page, health) -> None:  # type: ignore[no-untyped-def]
    expect(page.get_by_role("heading", name="Health score")).to_be_visible()
    items = page.get_by_role("list", name="Health components").get_by_role("listitem")
    expect(items).to_have_count(len(health["components"]))
    for component in health["components"]:
        item = items.filter(has=page.get_by_role("heading", name=component["name"], exact=True))
        expect(item).to_have_count(1)
        expect(item.locator(".badge")).to_have_text(WORDS[component["status"]])
        expect(item).to_contain_text(component["summary"])
        if component["status"] != "green" and component.get("advice"):
            expect(item.locator(".health-advice")).to_contain_text(component["advice"][:40])
        else:
            expect(item.locator(".health-advice")).to_have_count(0)
    not_green = [c for c in health["components"] if c["status"] != "green"]
    assert not_green, "the test server has no backup schedule: its backup component is not green"


def _scheduled(api) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """The scheduler's jobs, once the server's runner made its first round (30 s in)."""
    deadline = time.monotonic() + 60
    while True:
        jobs = api.get("/system/jobs").json()["items"]
        names = {job["name"] for job in jobs}
        if {"alerts", "generation_retention"} <= names or time.monotonic() > deadline:
            assert {"alerts", "generation_retention"} <= names, names
            return list(jobs)
        time.sleep(1)


def test_admin_sees_health_and_scheduled_jobs(page, mobile_page, api) -> None:  # type: ignore[no-untyped-def]
    jobs = _scheduled(api)
    for pg, width in ((page, 1440), (mobile_page, 390)):
        health = _open(pg)
        expect(pg.get_by_role("heading", name="System status")).to_be_visible()
        _check_health(pg, health)
        table = pg.get_by_role("table")
        expect(table.locator("tbody tr")).to_have_count(len(jobs))
        for job in jobs:
            row = table.locator("tbody tr").filter(
                has=pg.get_by_role("rowheader", name=job["name"])
            )
            expect(row).to_have_count(1)
        check_page(pg, f"the status page at {width} px", shot="status")


def test_a_viewer_sees_the_health_score_but_not_the_jobs(browser, base_url, api) -> None:  # type: ignore[no-untyped-def]
    create_member(api, "status-viewer@example.com", "viewer-pass-123", "viewer")
    for viewport in (None, MOBILE):
        context = signed_in_context(
            browser, base_url, "status-viewer@example.com", "viewer-pass-123", viewport
        )
        try:
            pg = context.new_page()
            health = _open(pg)
            expect(pg.locator('nav a[href="/p/default/status"]')).to_have_count(1)
            _check_health(pg, health)
            expect(pg.get_by_text("Only admins can see the scheduled jobs")).to_be_visible()
            expect(pg.get_by_role("table")).to_have_count(0)
            check_page(pg, "the status page of a viewer")
        finally:
            context.close()
