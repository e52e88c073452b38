"""Signing in with a password or an API key, keyboard only, and staying signed in."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, API_KEY
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def focused_label(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """() => { const el = document.activeElement;
                   const label = el && el.closest('label');
                   const own = el && (el.getAttribute('aria-label') || el.textContent);
                   return (label ? label.textContent : own) || ''; }"""
    )


def test_sign_in_with_keyboard_only_and_survive_reload(anon_page, api):  # type: ignore[no-untyped-def]
    page = anon_page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin\?next="))
    expect(page.get_by_role("heading", name="Sign in to Promptyard")).to_be_visible()

    page.keyboard.press("Tab")  # the "sign in with" radio group
    assert "Email and password" in focused_label(page)
    page.keyboard.press("Tab")
    assert focused_label(page).startswith("Email")
    page.keyboard.type(ADMIN_EMAIL)
    page.keyboard.press("Tab")
    assert focused_label(page).startswith("Password")
    page.keyboard.type(ADMIN_PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/p/default$"))
    expect(page.get_by_role("heading", name="Prompts")).to_be_visible()
    expect(page.get_by_text(ADMIN_EMAIL)).to_be_visible()

    # "/" jumps to the search box from anywhere on the page
    page.locator("body").press("/")
    expect(page.get_by_role("searchbox")).to_be_focused()

    page.reload()
    expect(page.get_by_role("heading", name="Prompts")).to_be_visible()
    expect(page.get_by_text(ADMIN_EMAIL)).to_be_visible()
    # the session cookie is a real session: the API answers the browser as that user
    me = page.request.get("/api/v1/auth/me").json()
    assert me["actor"]["name"] == ADMIN_EMAIL
    assert api.get("/auth/me").json()["actor"]["type"] == "key"

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin"))
    assert page.request.get("/api/v1/auth/me").status == 401


def test_sign_in_with_api_key_and_wrong_password(anon_page):  # type: ignore[no-untyped-def]
    page = anon_page
    page.goto("/signin")
    page.get_by_label("Email", exact=True).fill(ADMIN_EMAIL)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Could not sign in.")
    message = page.request.post(
        "/api/v1/auth/login", data={"email": ADMIN_EMAIL, "password": "not-the-password"}
    ).json()["error"]["message"]
    expect(alert).to_contain_text(message)

    page.get_by_role("radio", name="API key").check()
    page.get_by_role("radio", name="API key").press("Tab")
    page.keyboard.type(API_KEY)  # the key field is next, and the only password field
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Prompts")).to_be_visible()
    me = page.request.get("/api/v1/auth/me").json()
    assert me["actor"]["type"] == "key"
    expect(page.locator(".who-name")).to_have_text(me["actor"]["name"])


def test_an_ended_session_leads_back_to_sign_in(page):  # type: ignore[no-untyped-def]
    page.goto("/p/default")
    expect(page.get_by_role("heading", name="Prompts")).to_be_visible()
    page.context.clear_cookies()  # as if the session expired
    page.get_by_role("link", name="New prompt").click()  # its first request gets a 401
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fp%2Fdefault%2Fnew"))
    page.get_by_label("Email", exact=True).fill(ADMIN_EMAIL)
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="New prompt")).to_be_visible()
