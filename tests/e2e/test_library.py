"""The library: empty state, bulk tag / move / label / delete, search and filters,
readable errors and a retry when the connection drops."""

from __future__ import annotations

import pytest
from e2e_helpers import create_prompt
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def names_on_page(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.get_by_test_id("prompt-row").locator(".prompt-link").all_inner_texts()


def test_empty_project_tells_a_new_user_what_to_do(page, api):  # type: ignore[no-untyped-def]
    assert api.post("/projects", json={"slug": "empty", "name": "Empty"}).status_code == 201
    page.goto("/p/empty")
    expect(page.get_by_role("heading", name="Your library is empty")).to_be_visible()
    expect(page.get_by_role("link", name="Create your first prompt")).to_have_attribute(
        "href", "/p/empty/new"
    )
    expect(page.get_by_role("link", name="Import a project bundle")).to_be_visible()
    assert api.get("/prompts", params={"project": "empty"}).json()["total"] == 0


def test_bulk_actions_search_and_filters(page, api):  # type: ignore[no-untyped-def]
    project = {"project": "bulk"}
    assert api.post("/projects", json={"slug": "bulk", "name": "Bulk"}).status_code == 201
    for name, text in [
        ("refund-reply", "We refunded {{ amount }}."),
        ("shipping-reply", "Your parcel ships on {{ date }}."),
        ("apology", "Sorry about {{ issue }}."),
        ("legacy-faq", "Old answer."),
    ]:
        r = api.post(
            "/prompts", params=project, json={"name": name, "type": "text", "content": text}
        )
        assert r.status_code == 201, r.text

    page.goto("/p/bulk")
    expect(page.get_by_test_id("prompt-row")).to_have_count(4)

    # bulk tag two prompts
    page.get_by_label("Select refund-reply").check()
    page.get_by_label("Select shipping-reply").check()
    bar = page.get_by_role("region", name="Bulk actions")
    expect(bar).to_contain_text("2 selected")
    bar.get_by_role("button", name="Tag…").click()
    dialog = page.get_by_role("dialog", name="Tag 2 prompts")
    dialog.get_by_label("Tags (comma or space separated)").fill("support, reviewed")
    dialog.get_by_role("button", name="Apply tags").click()
    expect(page.locator(".notice.ok")).to_contain_text("Tagged 2 prompts.")
    tagged = api.get("/prompts", params={**project, "tag": "reviewed"}).json()
    assert sorted(p["name"] for p in tagged["items"]) == ["refund-reply", "shipping-reply"]
    expect(page.get_by_role("button", name="reviewed 2")).to_be_visible()

    # bulk move, label
    page.get_by_label("Select refund-reply").check()
    page.get_by_label("Select apology").check()
    page.get_by_role("button", name="Move…").click()
    page.get_by_role("dialog").get_by_label("Folder", exact=False).fill("support/billing")
    page.get_by_role("dialog").get_by_role("button", name="Move").click()
    expect(page.locator(".notice.ok")).to_contain_text("Moved 2 prompts.")
    assert api.get("/prompts/apology", params=project).json()["folder"] == "support/billing"
    folders = page.get_by_role("navigation", name="Folders")
    expect(folders.get_by_role("button", name="billing")).to_be_visible()

    page.get_by_label("Select apology").check()
    page.get_by_role("button", name="Label…").click()
    page.get_by_role("dialog").get_by_label("Label", exact=False).fill("staging")
    page.get_by_role("dialog").get_by_role("button", name="Set label").click()
    expect(page.locator(".notice.ok")).to_contain_text("Labelled 1 prompt.")
    assert api.get("/prompts/apology", params=project).json()["labels"]["staging"] == 1

    # bulk delete, with a confirm step
    page.get_by_label("Select legacy-faq").check()
    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("alertdialog", name="Delete 1 prompts?").get_by_role(
        "button", name="Delete"
    ).click()
    expect(page.locator(".notice.ok")).to_contain_text("Deleted 1 prompt.")
    expect(page.get_by_test_id("prompt-row")).to_have_count(3)
    assert api.get("/prompts/legacy-faq", params=project).status_code == 404

    # search: "/" focuses the box; results match what the API answers for the same query
    page.locator("body").press("/")
    page.keyboard.type("parcel")
    expect(page.get_by_test_id("prompt-row")).to_have_count(1)
    assert names_on_page(page) == ["shipping-reply"]
    found = api.get("/prompts", params={**project, "q": "parcel"}).json()["items"]
    assert [p["name"] for p in found] == ["shipping-reply"]
    assert "q=parcel" in page.url

    # filters: tag chip, folder tree, label; then clear
    page.get_by_role("button", name="Clear filters").first.click()
    expect(page.get_by_test_id("prompt-row")).to_have_count(3)
    page.get_by_role("button", name="reviewed 2").click()
    expect(page.get_by_test_id("prompt-row")).to_have_count(2)
    folders.get_by_role("button", name="billing").click()
    expect(page.get_by_test_id("prompt-row")).to_have_count(1)
    assert names_on_page(page) == ["refund-reply"]
    page.get_by_role("button", name="Clear filters").first.click()
    page.get_by_label("Label", exact=True).fill("staging")
    expect(page.get_by_test_id("prompt-row")).to_have_count(1)
    assert names_on_page(page) == ["apology"]
    page.get_by_label("Label", exact=True).fill("nothing-has-this")
    expect(page.get_by_role("heading", name="No prompts match these filters")).to_be_visible()
    page.get_by_role("button", name="Clear filters").first.click()

    # sorting by name
    page.get_by_role("button", name="Name").click()
    expect(page.get_by_test_id("prompt-row").first).to_contain_text("apology")
    assert names_on_page(page) == sorted(names_on_page(page))
    page.get_by_role("button", name="Name").click()
    expect(page.get_by_test_id("prompt-row").first).to_contain_text("shipping-reply")
    assert names_on_page(page) == sorted(names_on_page(page), reverse=True)


def test_api_errors_are_readable_and_lost_connection_offers_retry(page, api):  # type: ignore[no-untyped-def]
    page.goto("/p/default/prompts/no-such-prompt")
    message = api.get("/prompts/no-such-prompt").json()["error"]["message"]
    expect(page.get_by_role("alert")).to_contain_text(message)

    create_prompt(api, "retry-demo", "Hello")
    page.route("**/api/v1/prompts?**", lambda route: route.abort())
    page.goto("/p/default")
    alert = page.get_by_role("alert").filter(has_text="Connection lost")
    expect(alert).to_contain_text("Cannot reach the Promptyard server")
    page.unroute("**/api/v1/prompts?**")
    alert.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("link", name="retry-demo")).to_be_visible()
