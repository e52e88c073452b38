"""Invitations: a workspace admin invites, the person accepts on /invite, and only an
instance administrator sees account controls (docs/security.md, accounts and workspaces)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from e2e_helpers import (
    DESKTOP,
    MOBILE,
    check_page,
    create_member,
    csrf_headers,
    signed_in_context,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

LAB = "invite-lab"
LAB_NAME = "Invite lab"


@contextmanager
def fresh_page(browser, base_url: str, viewport=None) -> Iterator:  # type: ignore[no-untyped-def]
    """A page in a new browser context: no cookies, no session."""
    context = browser.new_context(base_url=base_url, viewport=viewport or DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def invite(api: httpx.Client, email: str, role: str = "editor") -> dict:  # type: ignore[type-arg]
    response = api.post("/invitations", json={"email": email, "role": role})
    assert response.status_code == 201, response.text
    return response.json()


def invitation_of(items: list[dict], email: str) -> dict:  # type: ignore[type-arg]
    """The newest invitation of ``email`` in a GET /invitations answer."""
    return next(i for i in items if i["email"] == email)


def switch_to_lab(page) -> None:  # type: ignore[no-untyped-def]
    """Point the admin's console session at a second workspace (created once)."""
    context = page.context
    made = context.request.post(
        "/api/v1/workspaces", data={"slug": LAB, "name": LAB_NAME}, headers=csrf_headers(context)
    )
    assert made.status in (201, 409), made.text()
    switched = context.request.post(
        "/api/v1/auth/switch", data={"workspace": LAB}, headers=csrf_headers(context)
    )
    assert switched.ok, switched.text()


def lab_invite(page, email: str, role: str) -> str:  # type: ignore[no-untyped-def]
    """Invite ``email`` to the lab workspace as its admin; returns the token."""
    context = page.context
    made = context.request.post(
        "/api/v1/invitations", data={"email": email, "role": role}, headers=csrf_headers(context)
    )
    assert made.status == 201, made.text()
    return made.json()["token"]


def accept(page, token: str, password: str, name: str = "") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/invite#token={token}")
    expect(page.get_by_role("heading", name="Join a workspace")).to_be_visible()
    if name:
        page.get_by_label("Your name (optional)").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Accept the invitation").click()


def test_an_admin_invites_and_sees_the_token_once(page, api, base_url):  # type: ignore[no-untyped-def]
    page.goto("/p/default/settings")
    page.get_by_role("button", name="Invite…").click()
    form = page.get_by_role("dialog", name="Invite a member")
    form.get_by_label("Email").fill("ivy@example.com")
    form.get_by_label("Role").select_option("reviewer")
    form.get_by_role("button", name="Create invitation").click()

    shown = page.get_by_role("dialog", name="Invitation for ivy@example.com created")
    expect(shown).to_contain_text("it is shown only once")
    token = shown.get_by_label("Invitation token").input_value()
    assert token.startswith("pyi_")
    expect(shown.get_by_label("Invitation link")).to_have_value(f"{base_url}/invite#token={token}")
    expect(shown.get_by_role("button", name="Copy link")).to_be_focused()
    expect(shown.get_by_role("button", name="Copy token")).to_be_visible()
    check_page(page, "the new invitation dialog")
    shown.get_by_role("button", name="I sent it, close").click()
    expect(shown).to_be_hidden()
    expect(page.locator(".notice.ok")).to_have_text(
        "An invitation for ivy@example.com as reviewer was created."
    )

    # never shown again: not on the page, not in the list the API gives
    has_token = "t => [...document.querySelectorAll('input')].some(i => i.value.includes(t))"
    assert not page.evaluate(has_token, token)
    expect(page.get_by_text(token)).to_have_count(0)
    row = page.get_by_test_id("invitation-ivy@example.com")
    expect(row.locator(".badge")).to_have_text("pending")
    expect(row).to_contain_text("reviewer")
    listed = invitation_of(api.get("/invitations").json()["items"], "ivy@example.com")
    assert (listed["status"], listed["role"]) == ("pending", "reviewer")
    assert "token" not in listed
    page.reload()
    expect(page.get_by_test_id("invitation-ivy@example.com").locator(".badge")).to_have_text(
        "pending"
    )
    check_page(page, "the members page with invitations")


def test_accepting_creates_the_account_and_signs_in_to_the_workspace(page, browser, base_url):  # type: ignore[no-untyped-def]
    switch_to_lab(page)
    token = lab_invite(page, "quinn@example.com", "editor")
    with fresh_page(browser, base_url) as guest:
        guest.goto(f"/invite#token={token}")
        expect(guest.get_by_role("heading", name="Join a workspace")).to_be_visible()
        hint = "If you already have an account, enter its current password"
        expect(guest.get_by_text(hint)).to_be_visible()
        check_page(guest, "the accept page")

        # a new account needs 10 characters: the server's 422 is explained
        guest.get_by_label("Password", exact=True).fill("short")
        guest.get_by_role("button", name="Accept the invitation").click()
        expect(guest.get_by_role("alert")).to_contain_text("at least 10 characters")
        expect(guest.get_by_label("Password", exact=True)).to_be_focused()

        accept(guest, token, "quinn-pass-1234", name="Quinn")
        expect(guest).to_have_url(f"{base_url}/p/default")
        account = guest.get_by_role("button", name="quinn@example.com (account menu)")
        expect(account).to_be_visible()
        me = guest.context.request.get("/api/v1/auth/me").json()
        assert me["workspace"]["slug"] == LAB
        assert (me["actor"]["role"], me["actor"]["instance_admin"]) == ("editor", False)
        account.click()
        expect(guest.get_by_text(f"Role editor in {LAB_NAME}")).to_be_visible()

    # the account works with that password, and the invitation is used up
    login = httpx.post(
        f"{base_url}/api/v1/auth/login",
        json={"email": "quinn@example.com", "password": "quinn-pass-1234", "workspace": LAB},
    )
    assert login.status_code == 200, login.text
    page.goto("/p/default/settings")
    row = page.get_by_test_id("invitation-quinn@example.com")
    expect(row.locator(".badge")).to_have_text("accepted")
    expect(row.get_by_role("button")).to_have_count(0)
    expect(page.get_by_test_id("member-quinn@example.com")).to_contain_text("Quinn")
    listed = page.context.request.get("/api/v1/invitations").json()["items"]
    assert invitation_of(listed, "quinn@example.com")["status"] == "accepted"


def test_an_existing_account_accepts_with_its_current_password(page, browser, base_url, api):  # type: ignore[no-untyped-def]
    create_member(api, "rhea@example.com", "rhea-pass-1234", "viewer", "Rhea")
    switch_to_lab(page)
    token = lab_invite(page, "rhea@example.com", "reviewer")
    with fresh_page(browser, base_url) as guest:
        accept(guest, token, "some-new-password")
        alert = guest.get_by_role("alert")
        expect(alert).to_contain_text("Wrong password.")
        expect(alert).to_contain_text("enter that account's current password")
        expect(guest.get_by_label("Password", exact=True)).to_be_focused()
        check_page(guest, "the accept page with a wrong password")
        guest.get_by_label("Password", exact=True).fill("rhea-pass-1234")
        guest.get_by_role("button", name="Accept the invitation").click()
        expect(guest).to_have_url(f"{base_url}/p/default")
        me = guest.context.request.get("/api/v1/auth/me").json()
        assert (me["workspace"]["slug"], me["actor"]["role"]) == (LAB, "reviewer")
    # the password was not changed by the invitation
    login = httpx.post(
        f"{base_url}/api/v1/auth/login",
        json={"email": "rhea@example.com", "password": "rhea-pass-1234"},
    )
    assert login.status_code == 200, login.text


def test_a_workspace_admin_has_no_account_controls(browser, base_url, api):  # type: ignore[no-untyped-def]
    wanda = create_member(api, "wanda@example.com", "wanda-pass-1234", "admin", "Wanda")
    create_member(api, "walt@example.com", "walt-pass-1234", "viewer", "Walt")
    context = signed_in_context(browser, base_url, "wanda@example.com", "wanda-pass-1234")
    try:
        me = context.request.get("/api/v1/auth/me").json()
        assert (me["actor"]["role"], me["actor"]["instance_admin"]) == ("admin", False)
        page = context.new_page()
        page.goto("/p/default/settings")
        expect(page.get_by_role("heading", name="Members & roles")).to_be_visible()
        expect(page.get_by_role("button", name="Invite…")).to_be_visible()
        expect(page.get_by_role("heading", name="Invitations")).to_be_visible()
        expect(page.get_by_test_id("accounts-note")).to_have_text(
            "Only an instance administrator can create accounts, reset passwords, or disable "
            "and enable accounts: invite people instead."
        )
        row = page.get_by_test_id("member-walt@example.com")
        expect(row.get_by_label("Role of walt@example.com")).to_be_visible()
        expect(row.get_by_role("button", name="Remove walt@example.com")).to_be_visible()
        expect(page.get_by_role("button", name="Create account…")).to_have_count(0)
        expect(page.get_by_role("button", name="Add member")).to_have_count(0)
        expect(page.get_by_role("button", name="Reset password")).to_have_count(0)
        expect(page.get_by_role("button", name="Disable")).to_have_count(0)
        expect(page.get_by_role("button", name="Enable")).to_have_count(0)
        check_page(page, "the members page of a workspace admin")

        # membership changes stay theirs
        row.get_by_label("Role of walt@example.com").select_option("editor")
        expect(page.locator(".notice.ok").first).to_have_text("walt@example.com is now editor.")
        # the server stays the authority on accounts
        walt = next(
            m["id"] for m in api.get("/members").json()["items"] if m["email"] == "walt@example.com"
        )
        forced = context.request.post(
            f"/api/v1/users/{walt}/password",
            data={"password": "taken-over-1234"},
            headers=csrf_headers(context),
        )
        assert forced.status == 403, forced.text()
    finally:
        context.close()
        # other tests count on admin@example.com being the workspace's only admin
        assert api.delete(f"/members/{wanda['id']}").status_code == 204


def test_a_revoked_invitation_is_unusable(page, api, browser, base_url):  # type: ignore[no-untyped-def]
    token = invite(api, "vic@example.com", "viewer")["token"]
    page.goto("/p/default/settings")
    row = page.get_by_test_id("invitation-vic@example.com")
    expect(row.locator(".badge")).to_have_text("pending")
    row.get_by_role("button", name="Revoke the invitation of vic@example.com").click()
    confirm = page.get_by_role("alertdialog", name="Revoke the invitation of vic@example.com?")
    confirm.get_by_role("button", name="Revoke invitation").click()
    expect(confirm).to_be_hidden()
    expect(row.locator(".badge")).to_have_text("revoked")
    expect(row.get_by_role("button")).to_have_count(0)
    listed = invitation_of(api.get("/invitations").json()["items"], "vic@example.com")
    assert listed["status"] == "revoked"

    with fresh_page(browser, base_url, MOBILE) as guest:
        accept(guest, token, "vic-pass-12345")
        alert = guest.get_by_role("alert")
        expect(alert).to_contain_text("This invitation cannot be used.")
        expect(alert).to_contain_text("Ask the workspace admin for a new invitation.")
        expect(guest).to_have_url(f"{base_url}/invite#token={token}")
        check_page(guest, "the accept page with an unusable token, on a phone")
    assert "vic@example.com" not in {m["email"] for m in api.get("/members").json()["items"]}
