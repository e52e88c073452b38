"""The audit log page (issue 4): filters, pages, verify and export, against the real API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_helpers import check_page
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ACTOR = "key:e2e-admin"


@pytest.fixture(scope="module")
def audited(api):  # type: ignore[no-untyped-def]
    """55 prompt creations in a project of their own: more than one page of events."""
    assert api.post("/projects", json={"slug": "audit-e2e", "name": "Audit e2e"}).status_code == 201
    for n in range(55):
        r = api.post(
            "/prompts",
            params={"project": "audit-e2e"},
            json={"name": f"audited-{n:02d}", "type": "text", "content": f"Prompt {n}"},
        )
        assert r.status_code == 201, r.text
    me = api.get("/auth/me").json()["actor"]["name"]
    return me


def test_filter_page_verify_and_export(page, api, audited):  # type: ignore[no-untyped-def]
    actor = audited
    page.goto("/p/audit-e2e/audit")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    page.get_by_label("Actor", exact=True).fill(actor)
    page.get_by_label("Action", exact=True).fill("prompt.create")
    page.get_by_label("Object type", exact=True).fill("prompt")
    page.get_by_role("button", name="Apply filters").click()
    expected = api.get(
        "/audit", params={"actor": actor, "action": "prompt.create", "object_type": "prompt"}
    ).json()
    assert expected["total"] >= 55
    rows = page.locator(".audit-table tbody tr")
    expect(rows).to_have_count(50)
    expect(rows.first.locator("td").first).to_have_text(str(expected["items"][0]["seq"]))
    pager = f"1\u201350 of {expected['total']}"  # an en dash, as the page shows it
    expect(page.locator(".pager")).to_contain_text(pager)
    for action in rows.locator("td:nth-child(4)").all_inner_texts():
        assert action == "prompt.create"

    page.get_by_role("button", name="Next").click()
    second = api.get(
        "/audit",
        params={"actor": actor, "action": "prompt.create", "object_type": "prompt", "offset": 50},
    ).json()
    expect(rows).to_have_count(len(second["items"]))
    expect(rows.first.locator("td").first).to_have_text(str(second["items"][0]["seq"]))

    # one object
    first_id = expected["items"][0]["object_id"]
    page.get_by_label("Object id or prompt name", exact=True).fill(first_id)
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    # the row names the prompt and links to it (issue 14)
    first_name = expected["items"][0]["summary"]["name"]
    expect(rows.first.get_by_role("link", name=f"prompt {first_name}")).to_be_visible()

    # a time range in the future matches nothing
    page.get_by_role("button", name="Clear").click()
    page.get_by_label("From", exact=True).fill("2099-01-01T00:00")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No events match these filters.")).to_be_visible()
    assert api.get("/audit", params={"since": "2099-01-01T00:00:00Z"}).json()["total"] == 0

    # verify the chain
    page.get_by_role("button", name="Clear").click()
    page.get_by_role("button", name="Verify chain").click()
    result = page.get_by_test_id("verify-result")
    expect(result).to_contain_text("Chain OK.")
    verdict = api.get("/audit/verify").json()
    assert verdict["ok"] is True
    expect(result).to_contain_text("events were checked")

    # exports follow the filters
    page.get_by_label("Action", exact=True).fill("prompt.create")
    page.get_by_label("Actor", exact=True).fill(actor)
    page.get_by_role("button", name="Apply filters").click()
    expect(rows.first).to_contain_text("prompt.create")
    with page.expect_download() as info:
        page.get_by_role("link", name="Export JSONL").click()
    lines = [json.loads(line) for line in Path(info.value.path()).read_text().splitlines() if line]
    assert len(lines) == expected["total"]
    assert {line["action"] for line in lines} == {"prompt.create"}
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    assert info.value.suggested_filename.endswith(".csv")
    csv_lines = Path(info.value.path()).read_text().splitlines()
    assert csv_lines[0].startswith("seq,id,created_at,actor,action")
    assert len(csv_lines) == expected["total"] + 1


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_audit_page_is_accessible_and_fits(page, mobile_page, audited, viewport):  # type: ignore[no-untyped-def]
    pg = mobile_page if viewport == "mobile" else page
    pg.goto("/p/audit-e2e/audit")
    expect(pg.locator(".audit-table tbody tr").first).to_be_visible()
    pg.get_by_role("button", name="Verify chain").click()
    expect(pg.get_by_test_id("verify-result")).to_contain_text("Chain OK.")
    check_page(pg, f"the audit log at {pg.viewport_size['width']} px", "audit")
