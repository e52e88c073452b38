"""Issue 14, roles and the review trail: controls a role cannot use are hidden or disabled
with the reason; Approve is disabled for the request's own author; an applied change
request keeps showing the diff that was reviewed (the label's version when it opened)."""

from __future__ import annotations

import pytest
from e2e_helpers import check_axe, create_member, csrf_headers, signed_in_context
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SLUG = "fixes-e2e"
PROJECT = {"project": SLUG}
REVIEWER = ("ronja.fixes@example.com", "ronja-pass-1234")
VIEWER = ("vida.fixes@example.com", "vida-pass-1234")


@pytest.fixture(scope="module")
def trail(api):  # type: ignore[no-untyped-def]
    """A prompt at version 3 whose production label points at version 1."""
    assert api.post("/projects", json={"slug": SLUG, "name": "Fixes e2e"}).status_code == 201
    r = api.post(
        "/prompts",
        params=PROJECT,
        json={"name": "refund-reply", "type": "text", "content": "Refund one {{ who }}"},
    )
    assert r.status_code == 201, r.text
    for n in (2, 3):
        r = api.patch(
            "/prompts/refund-reply",
            params=PROJECT,
            json={"content": f"Refund {n} {{{{ who }}}}", "base_version": n - 1},
        )
        assert r.status_code == 200, r.text
    r = api.put("/prompts/refund-reply/labels/production", params=PROJECT, json={"version": 1})
    assert r.status_code == 200, r.text
    create_member(api, *REVIEWER, "reviewer", "Ronja")
    create_member(api, *VIEWER, "viewer", "Vida")
    return "refund-reply"


def test_an_applied_request_keeps_the_reviewed_diff(page, browser, base_url, api, trail):  # type: ignore[no-untyped-def]
    body = {"prompt": trail, "version": 3, "label": "production", "sample_variables": {"who": "A"}}
    opened = api.post("/change-requests", params=PROJECT, json=body)
    assert opened.status_code == 201, opened.text
    cr = opened.json()
    assert cr["base_version"] == 1

    # another person approves, the author applies
    reviewer = signed_in_context(browser, base_url, *REVIEWER)
    try:
        r = reviewer.request.post(
            f"/api/v1/change-requests/{cr['id']}/approve",
            data={"comment": "fine"},
            headers=csrf_headers(reviewer),
        )
        assert r.ok, r.text()
    finally:
        reviewer.close()
    applied = api.post(f"/change-requests/{cr['id']}/apply", params=PROJECT)
    assert applied.status_code == 200, applied.text
    assert applied.json()["status"] == "applied" and applied.json()["base_version"] == 1

    page.goto(f"/p/{SLUG}/reviews/{cr['id']}")
    base = page.get_by_test_id("cr-diff-base")
    expect(base).to_have_text(
        "production pointed to version 1 when the request was opened; "
        "the request moves it to version 3."
    )
    changes = page.get_by_role("region", name="Changes")
    expect(changes).to_contain_text("Refund one")  # version 1's words, not version 2's
    check_axe(page, "an applied change request")


def test_controls_follow_the_role_and_approve_is_disabled_for_the_author(browser, base_url, trail):  # type: ignore[no-untyped-def]
    context = signed_in_context(browser, base_url, *REVIEWER)
    try:
        page = context.new_page()
        page.goto(f"/p/{SLUG}")
        expect(page.get_by_role("heading", name="Prompts")).to_be_visible()
        expect(page.get_by_role("combobox", name="Project")).to_be_visible()
        # a reviewer cannot create projects or import bundles: no form to fill in vain
        expect(page.get_by_role("button", name="New project")).to_have_count(0)
        page.goto(f"/p/{SLUG}/transfer")
        importer = page.get_by_role("button", name="Import", exact=True)
        expect(importer).to_be_disabled()
        expect(importer).to_have_accessible_description(
            "Your role (reviewer) cannot import bundles."
        )

        # the reviewer's own request: Approve is there, disabled, with the reason
        opened = context.request.post(
            f"/api/v1/change-requests?project={SLUG}",
            data={
                "prompt": trail,
                "version": 2,
                "label": "staging",
                "sample_variables": {"who": "B"},
            },
            headers=csrf_headers(context),
        )
        assert opened.status == 201, opened.text()
        page.goto(f"/p/{SLUG}/reviews/{opened.json()['id']}")
        approve = page.get_by_role("button", name="Approve")
        expect(approve).to_be_disabled()
        expect(approve).to_have_accessible_description(
            "You opened this change request, so you cannot approve it: another reviewer must."
        )
        check_axe(page, "a change request seen by its author")
    finally:
        context.close()

    viewer = signed_in_context(browser, base_url, *VIEWER)
    try:
        page = viewer.new_page()
        page.goto(f"/p/{SLUG}")
        expect(page.get_by_role("heading", name="Prompts")).to_be_visible()
        expect(page.get_by_role("link", name="New prompt")).to_have_count(0)
        page.goto(f"/p/{SLUG}/prompts/{trail}")
        save = page.get_by_role("button", name="Save")
        expect(save).to_be_disabled()
        expect(save).to_have_accessible_description("Your role (viewer) cannot save prompts.")
    finally:
        viewer.close()
