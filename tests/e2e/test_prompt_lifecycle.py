"""Create a prompt with variables, save, edit, diff, move production, roll back."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import ADMIN_EMAIL, editor_text, set_editor
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

V1 = "Hello {{ name }}, welcome to {{ product }}!\nReply to this email if you need help."
V2 = "Hi {{ name }}, welcome aboard {{ product }}!\nReply to this email if you need help."


def test_create_edit_diff_label_and_roll_back(page, api):  # type: ignore[no-untyped-def]
    # --- create, with variables detected and previewed as we type
    page.goto("/p/default/new")
    page.get_by_label("Name").fill("welcome-email")
    page.get_by_label("Folder").fill("support/email")
    page.get_by_label("Tags").fill("email, onboarding")
    set_editor(page, "Prompt template", V1)
    variables = page.get_by_role("list", name="Detected variables")
    expect(variables.get_by_role("listitem")).to_have_text(["name", "product"])
    page.get_by_role("textbox", name="name", exact=True).fill("Ada")
    page.get_by_role("textbox", name="product", exact=True).fill("Promptyard")
    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Hello Ada, welcome to Promptyard!")
    page.get_by_label("Model", exact=True).fill("fake/echo")
    page.get_by_label("Temperature").fill("0.7")
    page.get_by_label("Commit message").fill("first version")
    page.get_by_role("button", name=re.compile("^Create prompt")).click()
    expect(page).to_have_url(re.compile(r"/p/default/prompts/welcome-email$"))

    prompt = api.get("/prompts/welcome-email").json()
    assert prompt["latest_version"] == 1
    assert prompt["folder"] == "support/email"
    assert sorted(prompt["tags"]) == ["email", "onboarding"]
    assert prompt["version"]["content"] == V1
    assert prompt["version"]["message"] == "first version"
    assert prompt["version"]["config"] == {"model": "fake/echo", "temperature": 0.7}
    assert [v["name"] for v in prompt["version"]["variables"]] == ["name", "product"]
    assert prompt["version"]["author"] == ADMIN_EMAIL

    # --- edit and save again with Ctrl+S
    expect(page.get_by_text("editing from version 1")).to_be_visible()
    set_editor(page, "Prompt template", V2)
    page.get_by_label("Temperature").fill("0.2")
    page.get_by_label("Commit message").fill("friendlier greeting")
    page.keyboard.press("ControlOrMeta+s")
    expect(page.get_by_role("status").filter(has_text="Saved as version 2.")).to_be_visible()
    prompt = api.get("/prompts/welcome-email").json()
    assert prompt["latest_version"] == 2
    assert prompt["version"]["content"] == V2
    assert prompt["version"]["message"] == "friendlier greeting"
    assert editor_text(page, "Prompt template") == V2

    # --- history: the timeline and the word-level diff between v1 and v2
    page.get_by_role("navigation", name="Prompt").get_by_role("link", name="History").click()
    versions = page.get_by_test_id("version")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("friendlier greeting")
    expect(versions.nth(1)).to_contain_text("first version")
    expect(versions.nth(1)).to_contain_text(ADMIN_EMAIL)
    diff = api.get("/prompts/welcome-email/diff", params={"from": 1, "to": 2}).json()
    inserted = [s["text"] for s in diff["spans"] if s["op"] == "insert"]
    deleted = [s["text"] for s in diff["spans"] if s["op"] == "delete"]
    assert inserted and deleted
    new_pane = page.get_by_label("Version 2", exact=True)
    old_pane = page.get_by_label("Version 1", exact=True)
    expect(new_pane.locator("ins")).to_have_count(len(inserted))
    expect(old_pane.locator("del")).to_have_count(len(deleted))
    for text in inserted:
        expect(new_pane.locator("ins").filter(has_text=text.strip() or text).first).to_be_visible()
    expect(page.get_by_role("table", name="Model configuration changes")).to_contain_text(
        "temperature"
    )
    page.get_by_text("Inline", exact=True).click()
    inline = page.get_by_label("Changes from version 1 to 2")
    expect(inline.locator("ins")).to_have_count(len(inserted))
    expect(inline.locator("del")).to_have_count(len(deleted))

    # --- point production at v2, then move it back to v1 (with the confirm step)
    page.get_by_role("button", name="Move label to v2…").click()
    dialog = page.get_by_role("dialog", name="Move a label")
    expect(dialog.get_by_label("Label")).to_have_value("production")
    expect(dialog.get_by_label("Version")).to_have_value("2")
    dialog.get_by_role("button", name="Continue").click()
    confirm = page.get_by_role("alertdialog", name="Create label production?")
    confirm.get_by_role("button", name="Point production to v2").click()
    expect(page.locator(".notice.ok")).to_have_text("Label production now points to version 2.")
    assert api.get("/prompts/welcome-email").json()["labels"]["production"] == 2

    page.get_by_role("button", name="Move label to v1…").click()
    page.get_by_role("dialog", name="Move a label").get_by_role("button", name="Continue").click()
    confirm = page.get_by_role("alertdialog", name="Move label production?")
    expect(confirm).to_contain_text("production moves from version 2 to version 1")
    confirm.get_by_role("button", name="Move production to v1").click()
    expect(page.locator(".notice.ok")).to_have_text("Label production now points to version 1.")
    assert api.get("/prompts/welcome-email").json()["labels"]["production"] == 1
    expect(versions.nth(1)).to_contain_text("production")

    # --- the labels page: where each label points and its move history
    page.get_by_role("navigation", name="Prompt").get_by_role("link", name="Labels").click()
    card = page.get_by_test_id("label-production")
    expect(card).to_contain_text("production → v1")
    events = api.get("/prompts/welcome-email/label-events", params={"label": "production"}).json()[
        "items"
    ]
    assert [(e["from_version"], e["to_version"]) for e in events] == [(2, 1), (None, 2)]
    expect(card.locator(".moves li")).to_have_count(2)
    expect(card.locator(".moves li").first).to_contain_text("v2 → v1")
    expect(card.locator(".moves li").nth(1)).to_contain_text("set to v2")

    # --- roll back to version 1 from the history, confirming first
    page.get_by_role("navigation", name="Prompt").get_by_role("link", name="History").click()
    page.get_by_role("button", name="Roll back to v1…").click()
    confirm = page.get_by_role("alertdialog", name="Roll back to version 1?")
    expect(confirm).to_contain_text("new version 3")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    assert api.get("/prompts/welcome-email").json()["latest_version"] == 2  # nothing happened

    page.get_by_role("button", name="Roll back to v1…").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Roll back to v1").click()
    expect(page.locator(".notice.ok")).to_have_text(
        "Rolled back: version 3 has the content of version 1."
    )
    expect(versions).to_have_count(3)
    prompt = api.get("/prompts/welcome-email").json()
    assert prompt["latest_version"] == 3
    assert prompt["version"]["content"] == V1
    assert prompt["version"]["config"]["temperature"] == 0.7
    assert prompt["labels"]["production"] == 1
