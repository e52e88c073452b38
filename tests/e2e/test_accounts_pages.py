"""Settings: members and roles, API keys, account menu (issue 4), against the real API."""

from __future__ import annotations

import httpx
import pytest
from e2e_helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    MOBILE,
    check_page,
    create_member,
    csrf_headers,
    signed_in_context,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_create_a_user_change_role_disable_and_narrow(page, api, base_url):  # type: ignore[no-untyped-def]
    page.goto("/p/default/settings")
    expect(page.get_by_role("heading", name="Members & roles")).to_be_visible()
    page.get_by_role("button", name="Create account…").click()
    dialog = page.get_by_role("dialog", name="Create an account")
    dialog.get_by_label("Email").fill("carol@example.com")
    dialog.get_by_label("Name").fill("Carol Editor")
    dialog.get_by_label("Initial password").fill("carol-pass-123")
    dialog.get_by_label("Role").select_option("editor")
    dialog.get_by_role("button", name="Create account").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".notice.ok")).to_have_text(
        "An account for carol@example.com was created; they are editor here."
    )
    row = page.get_by_test_id("member-carol@example.com")
    expect(row).to_contain_text("Carol Editor")
    members = {m["email"]: m for m in api.get("/members").json()["items"]}
    assert members["carol@example.com"]["role"] == "editor"
    carol = members["carol@example.com"]["id"]

    # change the role with the select: the API then reports it
    page.get_by_label("Role of carol@example.com").select_option("reviewer")
    expect(page.locator(".notice.ok")).to_have_text("carol@example.com is now reviewer.")
    members = {m["email"]: m for m in api.get("/members").json()["items"]}
    assert members["carol@example.com"]["role"] == "reviewer"

    # the last admin cannot be demoted: the server's 409 is shown readably
    page.get_by_label("Role of admin@example.com").select_option("viewer")
    expect(page.get_by_role("alert")).to_contain_text("Could not change the role.")
    assert {m["email"]: m for m in api.get("/members").json()["items"]}["admin@example.com"][
        "role"
    ] == "admin"
    page.reload()

    # disable (with a confirm step): she cannot sign in; enable again
    page.get_by_role("button", name="Disable carol@example.com").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Disable account").click()
    expect(row.locator(".badge")).to_have_text("disabled")
    assert not {m["id"]: m for m in api.get("/members").json()["items"]}[carol]["is_active"]
    login = httpx.post(
        f"{base_url}/api/v1/auth/login",
        json={"email": "carol@example.com", "password": "carol-pass-123"},
    )
    assert login.status_code == 401, login.text
    page.get_by_role("button", name="Enable carol@example.com").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Enable account").click()
    expect(row.locator(".badge")).to_have_text("active")
    assert {m["id"]: m for m in api.get("/members").json()["items"]}[carol]["is_active"]

    # reset her password: the new one works
    page.get_by_role("button", name="Reset password of carol@example.com").click()
    dialog = page.get_by_role("dialog", name="Reset the password of carol@example.com")
    dialog.get_by_label("New password").fill("carol-new-pass-456")
    dialog.get_by_role("button", name="Reset password").click()
    expect(page.locator(".notice.ok").first).to_contain_text(
        "password of carol@example.com was reset"
    )
    login = httpx.post(
        f"{base_url}/api/v1/auth/login",
        json={"email": "carol@example.com", "password": "carol-new-pass-456"},
    )
    assert login.status_code == 200, login.text

    # narrow her role in the default project
    roles = page.get_by_role("region", name="Roles in project default")
    roles.get_by_label("Member").select_option(str(carol))
    roles.get_by_label("Role in default").select_option("viewer")
    roles.get_by_role("button", name="Set project role").click()
    expect(roles.locator(".notice.ok")).to_have_text("carol@example.com is viewer in default.")
    rows = api.get("/projects/default/members").json()["items"]
    assert [(r["user_id"], r["role"], r["workspace_role"]) for r in rows] == [
        (carol, "viewer", "reviewer")
    ]
    roles.get_by_role("button", name="Remove the project role of carol@example.com").click()
    expect(roles.get_by_text("No narrowed roles in this project.")).to_be_visible()
    assert api.get("/projects/default/members").json()["items"] == []

    # remove a member (confirm first): gone from the list and from the API
    create_member(api, "temp@example.com", "temp-pass-1234", "viewer", "Temp")
    page.reload()
    page.get_by_role("button", name="Remove temp@example.com").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Remove member").click()
    expect(page.get_by_test_id("member-temp@example.com")).to_have_count(0)
    assert "temp@example.com" not in {m["email"] for m in api.get("/members").json()["items"]}


def test_create_and_revoke_an_api_key(page, api, base_url):  # type: ignore[no-untyped-def]
    page.goto("/p/default/settings/keys")
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    page.get_by_role("button", name="Create API key").click()
    dialog = page.get_by_role("dialog", name="Create an API key")
    dialog.get_by_label("Name").fill("e2e-ci")
    dialog.get_by_label("Role").select_option("editor")
    dialog.get_by_label("Project").select_option("default")
    dialog.get_by_role("button", name="Create key").click()

    shown = page.get_by_role("dialog", name="API key e2e-ci created")
    expect(shown).to_contain_text("you won't see it again")
    secret = shown.get_by_label("Your new API key").input_value()
    assert len(secret) > 16
    expect(shown.get_by_role("button", name="Copy key")).to_be_visible()
    check_page(page, "the new key dialog", "key-created")
    shown.get_by_role("button", name="I saved it, close").click()
    expect(shown).to_be_hidden()
    # the secret is never shown again, the list has only its prefix
    expect(page.get_by_text(secret)).to_have_count(0)

    key = next(k for k in api.get("/keys").json()["items"] if k["name"] == "e2e-ci")
    assert (key["role"], key["project"], key["revoked_at"]) == ("editor", "default", None)
    assert secret.startswith(key["prefix"])
    row = page.get_by_test_id("key-e2e-ci")
    expect(row).to_contain_text(key["prefix"])
    expect(row).to_contain_text("project default")

    with httpx.Client(
        base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {secret}"}
    ) as client:
        assert client.get("/prompts", params={"project": "default"}).status_code == 200
        row.get_by_role("button", name="Revoke e2e-ci").click()
        confirm = page.get_by_role("alertdialog", name="Revoke e2e-ci?")
        confirm.get_by_role("button", name="Revoke key").click()
        expect(confirm).to_be_hidden()
        expect(row.locator(".badge")).to_have_text("revoked")
        assert client.get("/prompts", params={"project": "default"}).status_code == 401
    key = next(k for k in api.get("/keys").json()["items"] if k["name"] == "e2e-ci")
    assert key["revoked_at"] is not None


def test_change_password_and_switch_workspace_from_the_account_menu(browser, base_url, api):  # type: ignore[no-untyped-def]
    create_member(api, "dave@example.com", "dave-pass-1234", "editor", "Dave")
    # Only an instance administrator creates workspaces (the default setting): the admin
    # makes Dave's lab and invites him as its admin; he joins with his password.
    owner = signed_in_context(browser, base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    try:
        for path, body in [
            ("/api/v1/workspaces", {"slug": "dave-lab", "name": "Dave's lab"}),
            ("/api/v1/auth/switch", {"workspace": "dave-lab"}),
            ("/api/v1/invitations", {"email": "dave@example.com", "role": "admin"}),
        ]:
            made = owner.request.post(path, data=body, headers=csrf_headers(owner))
            assert made.ok, made.text()
        token = made.json()["token"]
    finally:
        owner.close()
    joined = httpx.post(
        f"{base_url}/api/v1/auth/invitations/accept",
        json={"token": token, "password": "dave-pass-1234"},
    )
    assert joined.status_code == 200, joined.text
    context = signed_in_context(browser, base_url, "dave@example.com", "dave-pass-1234")
    try:
        page = context.new_page()
        page.goto("/p/default")
        page.get_by_role("button", name="dave@example.com (account menu)").click()
        page.get_by_role("button", name="Change password…").click()
        dialog = page.get_by_role("dialog", name="Change password")
        dialog.get_by_label("Current password").fill("dave-pass-1234")
        dialog.get_by_label("New password", exact=True).fill("dave-better-pass-99")
        dialog.get_by_label("Repeat the new password").fill("dave-better-pass-99")
        dialog.get_by_role("button", name="Change password").click()
        done = page.get_by_role("dialog", name="Password changed")
        expect(done).to_be_visible()
        done.get_by_role("button", name="Done").click()
        old = httpx.post(
            f"{base_url}/api/v1/auth/login",
            json={"email": "dave@example.com", "password": "dave-pass-1234"},
        )
        assert old.status_code == 401
        new = httpx.post(
            f"{base_url}/api/v1/auth/login",
            json={"email": "dave@example.com", "password": "dave-better-pass-99"},
        )
        assert new.status_code == 200, new.text

        page.get_by_role("button", name="dave@example.com (account menu)").click()
        page.get_by_role("button", name="Dave's lab").click()
        expect(page.get_by_role("button", name="Dave's lab")).to_be_hidden()  # switched
        expect(page).to_have_url(f"{base_url}/p/default")
        me = context.request.get("/api/v1/auth/me").json()
        assert me["workspace"]["slug"] == "dave-lab"
        page.get_by_role("button", name="dave@example.com (account menu)").click()
        expect(page.get_by_text("Role admin in Dave's lab")).to_be_visible()
    finally:
        context.close()


def test_an_editor_sees_no_admin_controls(browser, base_url, api):  # type: ignore[no-untyped-def]
    create_member(api, "erin@example.com", "erin-pass-1234", "editor", "Erin")
    context = signed_in_context(browser, base_url, "erin@example.com", "erin-pass-1234")
    try:
        page = context.new_page()
        page.goto("/p/default/settings")
        expect(page.get_by_role("heading", name="Members & roles")).to_be_visible()
        expect(page.get_by_role("button", name="Invite…")).to_have_count(0)
        expect(page.get_by_role("button", name="Create account…")).to_have_count(0)
        expect(page.get_by_label("Role of erin@example.com")).to_have_count(0)
        expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
        page.goto("/p/default/settings/policies")
        expect(page.get_by_label("Require review to move protected labels")).to_be_disabled()
        expect(page.get_by_role("button", name="Save policy")).to_have_count(0)
        # the server stays the authority: its 403 is what a forced request gets
        forbidden = context.request.get("/api/v1/users")
        assert forbidden.status == 403
    finally:
        context.close()


@pytest.mark.parametrize("width", ["desktop", "mobile"])
def test_settings_pages_are_accessible_and_fit(page, mobile_page, width):  # type: ignore[no-untyped-def]
    pg = mobile_page if width == "mobile" else page
    for path, heading, shot in [
        ("/p/default/settings", "Members & roles", "settings-members"),
        ("/p/default/settings/keys", "API keys", "settings-keys"),
        ("/p/default/settings/policies", "Review policy of default", "settings-policies"),
        ("/p/default/settings/webhooks", "Webhooks of default", "settings-webhooks"),
    ]:
        pg.goto(path)
        expect(pg.get_by_role("heading", name=heading)).to_be_visible()
        pg.wait_for_load_state("networkidle")
        check_page(pg, f"{path} at {pg.viewport_size['width']} px", shot)
    if width == "mobile":  # on a phone the account sits behind the header's Menu button
        pg.get_by_role("button", name="Menu", exact=True).click()
    pg.get_by_role("button", name="admin@example.com (account menu)").click()
    expect(pg.get_by_role("button", name="Change password…")).to_be_visible()
    check_page(pg, "the account menu", "account-menu")
    assert pg.viewport_size["width"] in (MOBILE["width"], 1440)
