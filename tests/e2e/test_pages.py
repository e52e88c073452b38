"""Every main page at 390 px and 1440 px: no sideways scrolling, no serious or critical
axe-core violations, and a screenshot in docs/screenshots/ (regenerated on each run)."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import MOBILE, assert_no_horizontal_scroll, check_axe, screenshot
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DEMO = {"project": "acme"}
PROMPTS = [
    (
        "support/email",
        "welcome-email",
        "text",
        "Hi {{ customer }},\n\nWelcome to {{ product }}! Reply to this email if you need help.",
        ["email", "onboarding"],
    ),
    (
        "support/email",
        "refund-confirmation",
        "text",
        "Hello {{ customer }}, we refunded {{ amount }} to your card ending {{ last4 }}.",
        ["email", "billing"],
    ),
    (
        "support/chat",
        "triage-agent",
        "chat",
        [
            {"role": "system", "content": "You triage tickets for {{ company }}. Be brief."},
            {"role": "user", "content": "{{ ticket }}"},
        ],
        ["agent"],
    ),
    (
        "marketing",
        "product-tagline",
        "text",
        "Write a tagline for {{ product }} aimed at {{ audience }}.",
        ["copy"],
    ),
    (
        "",
        "summarise-call",
        "text",
        "Summarise this call in {{ bullets }} bullet points:\n{{ transcript }}",
        ["internal"],
    ),
]


@pytest.fixture(scope="module")
def demo(api):  # type: ignore[no-untyped-def]
    """A small, fixed workspace so the screenshots show the same thing every run."""
    assert api.post("/projects", json={"slug": "acme", "name": "Acme support"}).status_code == 201
    for folder, name, kind, content, tags in PROMPTS:
        r = api.post(
            "/prompts",
            params=DEMO,
            json={
                "name": name,
                "type": kind,
                "content": content,
                "folder": folder,
                "tags": tags,
                "config": {"model": "fake/echo", "temperature": 0.3},
                "commit_message": "first draft",
            },
        )
        assert r.status_code == 201, r.text
    r = api.patch(
        "/prompts/welcome-email",
        params=DEMO,
        json={
            "content": (
                "Hi {{ customer }},\n\nWelcome aboard {{ product }}! Just reply if you need a hand."
            ),
            "config": {"model": "fake/echo", "temperature": 0.2},
            "commit_message": "warmer tone",
            "base_version": 1,
        },
    )
    assert r.status_code == 200, r.text
    r = api.put("/prompts/welcome-email/labels/production", params=DEMO, json={"version": 1})
    assert r.is_success, r.text
    r = api.put("/prompts/welcome-email/labels/production", params=DEMO, json={"version": 2})
    assert r.is_success, r.text
    r = api.put("/prompts/refund-confirmation/labels/staging", params=DEMO, json={"version": 1})
    assert r.is_success, r.text
    return DEMO


BASE = "/p/acme/prompts/welcome-email"


def visit(page, what: str) -> None:  # type: ignore[no-untyped-def]
    """Open one main page of the demo project and wait until its content is there."""
    if what == "library":
        page.goto("/p/acme")
        expect(page.get_by_test_id("prompt-row")).to_have_count(len(PROMPTS))
    elif what == "editor":
        page.goto(BASE)
        expect(page.get_by_role("region", name="Preview")).to_be_visible()
        page.get_by_role("textbox", name="customer", exact=True).fill("Ada")
        page.get_by_role("textbox", name="product", exact=True).fill("Promptyard")
        expect(page.get_by_role("region", name="Preview")).to_contain_text(
            "Welcome aboard Promptyard"
        )
    elif what == "editor-chat":
        page.goto("/p/acme/prompts/triage-agent")
        expect(page.get_by_test_id("chat-message")).to_have_count(2)
    elif what == "history":
        page.goto(f"{BASE}/history")
        expect(page.get_by_test_id("diff")).to_be_visible()
    elif what == "labels":
        page.goto(f"{BASE}/labels")
        expect(page.get_by_test_id("label-production")).to_contain_text("production → v2")
    elif what == "playground":
        page.goto(f"{BASE}/playground")
        page.get_by_role("textbox", name="customer", exact=True).fill("Ada")
        page.get_by_role("textbox", name="product", exact=True).fill("Promptyard")
        page.get_by_role("button", name="Add comparison").click()
        page.get_by_test_id("run-column").nth(1).get_by_label("Version").select_option("1")
        page.get_by_role("button", name=re.compile("^Run")).click()
        expect(page.get_by_test_id("run-output")).to_have_count(2)
    elif what == "import-export":
        page.goto("/p/acme/transfer")
        expect(page.get_by_role("heading", name="Import a bundle")).to_be_visible()
    else:
        raise AssertionError(what)
    page.evaluate("document.fonts.ready")


PAGES = ["library", "editor", "editor-chat", "history", "labels", "playground", "import-export"]


@pytest.mark.parametrize("what", PAGES)
def test_page_at_desktop_width(page, demo, what):  # type: ignore[no-untyped-def]
    visit(page, what)
    assert_no_horizontal_scroll(page, what)
    check_axe(page, f"{what} at 1440 px")
    screenshot(page, what)


@pytest.mark.parametrize("what", PAGES)
def test_page_at_phone_width(mobile_page, demo, what):  # type: ignore[no-untyped-def]
    assert mobile_page.viewport_size == MOBILE
    visit(mobile_page, what)
    assert_no_horizontal_scroll(mobile_page, what)
    check_axe(mobile_page, f"{what} at 390 px")
    screenshot(mobile_page, what)
    if what == "library":
        # on a phone the folder tree and tags fold away behind a button
        folders = mobile_page.get_by_role("navigation", name="Folders")
        expect(folders).to_be_hidden()
        toggle = mobile_page.get_by_role("button", name="Folders and tags")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        folders.get_by_role("button", name="email").click()
        expect(mobile_page.get_by_test_id("prompt-row")).to_have_count(2)
        assert_no_horizontal_scroll(mobile_page, "library with folders open")


@pytest.mark.parametrize("width", [390, 1440])
def test_sign_in_page(browser, base_url, width):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 844})
    try:
        page = context.new_page()
        page.goto("/signin")
        expect(page.get_by_role("heading", name="Sign in to Promptyard")).to_be_visible()
        assert_no_horizontal_scroll(page, "sign-in")
        check_axe(page, f"sign-in at {width} px")
        screenshot(page, "signin")
    finally:
        context.close()


def test_dialogs_pass_axe(page, demo):  # type: ignore[no-untyped-def]
    """The confirm step and the conflict dialog are pages of their own for a screen reader."""
    page.goto(f"{BASE}/history")
    page.get_by_role("button", name="Roll back to v1…").click()
    dialog = page.get_by_role("alertdialog", name="Roll back to version 1?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Roll back to v1")).to_be_focused()
    check_axe(page, "rollback confirm dialog")
    screenshot(page, "rollback-confirm")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
