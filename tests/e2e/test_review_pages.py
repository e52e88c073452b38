"""Review workflow in the console (issue 4): policy, change request, approval by a second
user, apply, webhooks; every step checked against what the API then returns."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import (
    DESKTOP,
    MOBILE,
    check_page,
    create_member,
    signed_in_context,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PROJECT = {"project": "review-e2e"}
REVIEWER = ("rita@example.com", "rita-pass-1234")


@pytest.fixture(scope="module")
def reviewed(api):  # type: ignore[no-untyped-def]
    """Its own project, so that protecting production there leaves other tests alone."""
    assert (
        api.post("/projects", json={"slug": "review-e2e", "name": "Review e2e"}).status_code == 201
    )
    with_project = {"params": PROJECT}
    r = api.post(
        "/prompts",
        **with_project,
        json={"name": "checkout-reply", "type": "text", "content": "Thanks {{ customer }}!"},
    )
    assert r.status_code == 201, r.text
    r = api.patch(
        "/prompts/checkout-reply",
        **with_project,
        json={
            "content": "Thank you, {{ customer }}. Your order is on its way.",
            "commit_message": "warmer",
        },
    )
    assert r.status_code == 200, r.text
    r = api.put("/prompts/checkout-reply/labels/production", params=PROJECT, json={"version": 1})
    assert r.status_code == 200, r.text
    create_member(api, *REVIEWER, "reviewer", "Rita")
    return "checkout-reply"


def test_policy_review_approve_apply_audit(page, browser, base_url, api, reviewed):  # type: ignore[no-untyped-def]
    name = reviewed
    # --- the policy: protect production, one approval
    page.goto("/p/review-e2e/settings/policies")
    expect(page.get_by_role("heading", name="Review policy of review-e2e")).to_be_visible()
    page.get_by_label("Require review to move protected labels", exact=True).check()
    page.get_by_label("Protected labels", exact=True).fill("production")
    page.get_by_label("Required approvals", exact=True).fill("1")
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".notice.ok")).to_have_text("Policy of review-e2e saved.")
    policy = api.get("/projects/review-e2e/policy").json()
    assert policy["require_review"] is True
    assert policy["protected_labels"] == ["production"]
    assert policy["required_approvals"] == 1

    # --- production is protected: the move dialog says so first and opens a change request
    page.goto(f"/p/review-e2e/prompts/{name}/labels")
    page.get_by_role("button", name="Move production…", exact=True).click()
    dialog = page.get_by_role("dialog", name="Move a label")
    dialog.locator("select").select_option("2")
    expect(dialog).to_contain_text("production is protected in this project")
    expect(dialog.get_by_role("button", name="Continue")).to_have_count(0)
    assert api.get(f"/prompts/{name}", params=PROJECT).json()["labels"]["production"] == 1
    dialog.get_by_role("link", name="Open a change request").click()

    expect(page.get_by_role("heading", name="New change request")).to_be_visible()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(name)
    expect(page.get_by_label("Version", exact=True)).to_have_value("2")
    expect(page.get_by_label("Label", exact=True)).to_have_value("production")
    page.get_by_label("Description", exact=True).fill("Warmer wording for the checkout reply.")
    page.get_by_label("Sample variables (JSON)", exact=True).fill('{"customer": "Ada"}')
    check_page(page, "the new change request page", "change-request-new")
    page.get_by_role("button", name="Open change request").click()

    expect(page).to_have_url(re.compile(r"/p/review-e2e/reviews/\d+$"))
    cr_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", name=f"#{cr_id} {name}: production → v2")).to_be_visible()
    expect(page.locator(".cr-page .section-head .badge")).to_have_text("open")
    gates = page.get_by_role("region", name="Quality gates")
    # the default policy's gates: variables declared, renders, no high-severity finding
    expect(gates.locator(".gate")).to_have_count(3)
    expect(gates).to_contain_text("variables_declared: passed")
    expect(gates).to_contain_text("no_high_severity_findings: passed")
    expect(page.get_by_test_id("diff")).to_contain_text("Your order is on its way")
    cr = api.get(f"/change-requests/{cr_id}").json()
    assert (cr["status"], cr["author"], cr["version"], cr["label"]) == (
        "open",
        "admin@example.com",
        2,
        "production",
    )

    # --- the author cannot approve their own request: Approve is disabled, saying why
    approve = page.get_by_role("button", name="Approve", exact=True)
    expect(approve).to_be_disabled()
    expect(approve).to_have_accessible_description(
        re.compile("you cannot approve it: another reviewer must")
    )
    assert api.get(f"/change-requests/{cr_id}").json()["approvals"] == []
    page.get_by_label("Comment", exact=True).fill("Rita, can you take a look?")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator(".cr-timeline li")).to_have_count(2)
    check_page(page, "a change request", "change-request")

    # --- a second user (reviewer) approves it in another browser context
    context = signed_in_context(browser, base_url, *REVIEWER)
    try:
        rita = context.new_page()
        rita.goto(f"/p/review-e2e/reviews/{cr_id}")
        expect(
            rita.get_by_role("heading", name=f"#{cr_id} {name}: production → v2")
        ).to_be_visible()
        expect(rita.locator(".cr-timeline")).to_contain_text("Rita, can you take a look?")
        rita.get_by_label("Comment", exact=True).fill("Looks good.")
        rita.get_by_role("button", name="Approve", exact=True).click()
        expect(rita.locator(".cr-page .section-head .badge")).to_have_text("approved")
        expect(rita.locator(".cr-timeline")).to_contain_text("rita@example.com approved")
    finally:
        context.close()
    cr = api.get(f"/change-requests/{cr_id}").json()
    assert cr["status"] == "approved"
    assert cr["approvals"] == ["rita@example.com"]

    # --- the author applies it: the label moves
    page.reload()
    expect(page.locator(".cr-page .section-head .badge")).to_have_text("approved")
    page.get_by_role("button", name="Apply…").click()
    page.get_by_role("alertdialog", name=f"Apply change request #{cr_id}?").get_by_role(
        "button", name="Move production to v2"
    ).click()
    expect(page.locator(".cr-page .section-head .badge")).to_have_text("applied")
    expect(page.get_by_role("button", name="Apply…")).to_have_count(0)
    assert api.get(f"/change-requests/{cr_id}").json()["status"] == "applied"
    assert api.get(f"/prompts/{name}", params=PROJECT).json()["labels"]["production"] == 2
    page.goto(f"/p/review-e2e/prompts/{name}/labels")
    expect(page.get_by_test_id("label-production")).to_contain_text("production → v2")

    # --- the list, filtered by status
    page.goto("/p/review-e2e/reviews?status=applied")
    expect(page.get_by_role("link", name=f"#{cr_id} {name}: production → v2")).to_be_visible()
    page.get_by_role("combobox", name="Status").select_option("open")
    expect(page.get_by_role("heading", name="No change requests match")).to_be_visible()
    listed = api.get("/change-requests", params={**PROJECT, "status": "applied"}).json()
    assert [item["id"] for item in listed["items"]] == [cr_id]

    # --- the audit log lists those events, and the chain verifies
    page.goto("/p/review-e2e/audit")
    page.get_by_label("Action", exact=True).fill("change_request.*")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator(".audit-table tbody tr")
    expect(rows.first).to_contain_text("change_request.apply")
    actions = rows.locator("td:nth-child(4)").all_inner_texts()
    events = api.get("/audit", params={"action": "change_request.*"}).json()
    assert actions == [e["action"] for e in events["items"]]
    assert {"change_request.open", "change_request.approve", "change_request.apply"} <= set(actions)
    page.get_by_role("button", name="Verify chain").click()
    expect(page.get_by_test_id("verify-result")).to_contain_text("Chain OK.")
    assert api.get("/audit/verify").json()["ok"] is True


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_review_pages_are_accessible_and_fit(page, mobile_page, api, reviewed, viewport):  # type: ignore[no-untyped-def]
    pg = mobile_page if viewport == "mobile" else page
    items = api.get("/change-requests", params=PROJECT).json()["items"]
    pages = [("/p/review-e2e/reviews", "Change requests", "change-requests")]
    if items:
        cr = items[0]
        pages.append((f"/p/review-e2e/reviews/{cr['id']}", f"#{cr['id']} ", "change-request"))
    for path, heading, shot in pages:
        pg.goto(path)
        expect(pg.get_by_role("heading", name=re.compile("^" + re.escape(heading)))).to_be_visible()
        pg.wait_for_load_state("networkidle")
        check_page(pg, f"{path} at {pg.viewport_size['width']} px", shot)
    pg.goto("/p/review-e2e/reviews/new?prompt=checkout-reply&version=1&label=production")
    expect(pg.get_by_role("heading", name="New change request")).to_be_visible()
    check_page(pg, "the new change request page", "change-request-new")
    assert pg.viewport_size["width"] in (MOBILE["width"], DESKTOP["width"])


def test_webhooks_create_list_deliveries_delete(page, api, reviewed):  # type: ignore[no-untyped-def]
    page.goto("/p/review-e2e/settings/webhooks")
    page.get_by_label("URL", exact=True).fill("http://127.0.0.1:9/promptyard-hook")
    page.get_by_label("change_request.approved", exact=True).check()
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_text("Signing secret (shown once):")).to_be_visible()
    hooks = api.get("/webhooks", params=PROJECT).json()["items"]
    assert [(h["url"], sorted(h["events"])) for h in hooks] == [
        (
            "http://127.0.0.1:9/promptyard-hook",
            ["change_request.applied", "change_request.approved", "change_request.opened"],
        )
    ]
    card = page.locator("li.panel", has_text="http://127.0.0.1:9/promptyard-hook")
    card.get_by_role("button", name="Deliveries").click()
    expect(card.get_by_text("Nothing delivered yet.")).to_be_visible()
    check_page(page, "the webhooks page", "settings-webhooks")
    card.get_by_role("button", name="Delete webhook http://127.0.0.1:9/promptyard-hook").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete webhook").click()
    expect(page.get_by_text("No webhooks in this project.")).to_be_visible()
    assert api.get("/webhooks", params=PROJECT).json()["items"] == []
