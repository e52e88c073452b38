"""Lifecycle badge and control, and the Impact tab (issue 4), against the real API."""

from __future__ import annotations

import pytest
from e2e_helpers import MOBILE, check_axe, check_page
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PROJECT = {"project": "impact-e2e"}


@pytest.fixture(scope="module")
def prompts(api):  # type: ignore[no-untyped-def]
    """Its own project, so that the library of other tests keeps its rows."""
    r = api.post("/projects", json={"slug": "impact-e2e", "name": "Impact e2e"})
    assert r.status_code == 201, r.text
    for name, content in [
        ("tone", "Answer in a {{ style }} tone."),
        ("reply", '{% include "prompt:tone@latest" %}\nReply to {{ customer }}.'),
    ]:
        r = api.post(
            "/prompts", params=PROJECT, json={"name": name, "type": "text", "content": content}
        )
        assert r.status_code == 201, r.text
    reply = api.get("/prompts/reply", params=PROJECT).json()
    assert reply["version"]["references"] == ["prompt:tone@latest"]
    return "tone"


def test_impact_lists_dependents_and_deprecate_from_the_header(page, mobile_page, api, prompts):  # type: ignore[no-untyped-def]
    # --- the Impact tab lists reply, which includes tone@latest
    page.goto("/p/impact-e2e/prompts/tone")
    page.get_by_role("navigation", name="Prompt").get_by_role("link", name="Impact").click()
    expect(page.get_by_role("heading", name="Impact of tone")).to_be_visible()
    dependents = page.get_by_test_id("impact-dependents")
    expect(dependents.get_by_role("link", name="reply", exact=True)).to_have_attribute(
        "href", "/p/impact-e2e/prompts/reply"
    )
    expect(dependents).to_contain_text("v1 includes prompt:tone@latest, which resolves to v1")
    expect(page.get_by_test_id("impact-labels")).to_contain_text("latest → v1")
    expect(page.get_by_text("No change request for tone is open.")).to_be_visible()
    expect(page.get_by_test_id("lifecycle-badge")).to_have_text("Lifecycle: draft")
    check_page(page, "the Impact tab", "impact")

    # --- one version only
    page.get_by_role("combobox", name="Version").select_option("1")
    expect(page).to_have_url("/p/impact-e2e/prompts/tone/impact?version=1")
    expect(page.get_by_role("heading", name="Labels on v1")).to_be_visible()

    mobile_page.goto("/p/impact-e2e/prompts/tone/impact")
    expect(mobile_page.get_by_test_id("impact-dependents")).to_contain_text("reply")
    assert mobile_page.viewport_size == MOBILE
    check_page(mobile_page, "the Impact tab at 390 px", "impact")

    # --- deprecate through the header control, after the confirm step
    page.get_by_label("Set lifecycle of tone", exact=True).select_option("deprecated")
    page.get_by_role("button", name="Set", exact=True).click()
    confirm = page.get_by_role("alertdialog", name="Deprecate tone?")
    expect(confirm).to_contain_text("still served")
    check_axe(page, "the deprecate confirm step")
    assert api.get("/prompts/tone", params=PROJECT).json()["lifecycle"] == "draft"
    confirm.get_by_role("button", name="Deprecate", exact=True).click()
    expect(confirm).to_be_hidden()
    expect(page.get_by_test_id("lifecycle-badge")).to_have_text("Lifecycle: deprecated")
    expect(page.get_by_role("status").filter(has_text="tone is now deprecated.")).to_be_attached()

    response = api.get("/prompts/tone", params=PROJECT)
    assert response.status_code == 200
    assert response.json()["lifecycle"] == "deprecated"
    assert response.headers.get("Deprecation") == "true"
    assert api.get("/prompts/tone/impact", params=PROJECT).json()["lifecycle"] == "deprecated"

    # --- the library marks tone, and only tone
    page.goto("/p/impact-e2e")
    rows = page.get_by_test_id("prompt-row")
    expect(rows).to_have_count(2)
    tone = rows.filter(has=page.get_by_role("link", name="tone", exact=True))
    expect(tone.get_by_test_id("lifecycle-badge")).to_have_text("deprecated")
    reply = rows.filter(has=page.get_by_role("link", name="reply", exact=True))
    expect(reply.get_by_test_id("lifecycle-badge")).to_have_count(0)
