"""Workspaces: creation, switching a session, and isolation between workspaces."""

from __future__ import annotations

from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.identity._helpers import API, add_user, client, error, ok, sign_in


def test_create_switch_and_isolation(app_client: TestClient, core: Core) -> None:
    hal = add_user(app_client, "hal@example.com", "viewer")
    other_key = ok(app_client.post(f"{API}/keys", json={"name": "d", "role": "viewer"}), 201)
    error(app_client.post(f"{API}/workspaces", json={"slug": "x", "name": "X"}), 403)

    admin = sign_in(core, ADMIN_EMAIL, ADMIN_PASSWORD)
    made = ok(admin.post(f"{API}/workspaces", json={"slug": "acme", "name": "Acme"}), 201)
    assert made["role"] == "admin"
    error(admin.post(f"{API}/workspaces", json={"slug": "acme", "name": "Again"}), 409)
    spaces = ok(admin.get(f"{API}/workspaces"))["items"]
    assert [(s["slug"], s["current"]) for s in spaces] == [("acme", False), ("default", True)]

    switched = ok(admin.post(f"{API}/auth/switch", json={"workspace": "acme"}))
    assert switched["workspace"]["slug"] == "acme"
    assert ok(admin.get(f"{API}/auth/me"))["workspace"]["slug"] == "acme"
    # the new workspace has its own default project, and sees nothing of the other
    assert [p["slug"] for p in ok(admin.get(f"{API}/projects"))["items"]] == ["default"]
    members = ok(admin.get(f"{API}/members"))["items"]
    assert [m["email"] for m in members] == [ADMIN_EMAIL]
    assert ok(admin.get(f"{API}/keys"))["items"] == []
    # accounts belong to the instance: its administrator manages them from any workspace
    assert ok(admin.patch(f"{API}/users/{hal['id']}", json={"name": "x"}))["role"] is None
    error(admin.put(f"{API}/members/{hal['id']}", json={"role": "editor"}), 404)
    error(admin.delete(f"{API}/members/{hal['id']}"), 404)
    error(admin.delete(f"{API}/keys/{other_key['id']}"), 404)
    error(admin.put(f"{API}/projects/default/members/{hal['id']}", json={"role": "viewer"}), 404)
    ok(admin.post(f"{API}/prompts", json={"name": "acme-only", "content": "hi"}), 201)

    # hal is not in acme: cannot switch there; sign-in into it is refused
    hal_client = sign_in(core, "hal@example.com")
    error(hal_client.post(f"{API}/auth/switch", json={"workspace": "acme"}), 404)
    error(
        client(core).post(
            f"{API}/auth/login",
            json={
                "email": "hal@example.com",
                "password": "a long enough password",
                "workspace": "acme",
            },
        ),
        404,
    )
    assert ok(hal_client.get(f"{API}/workspaces"))["items"][0]["slug"] == "default"
    error(app_client.post(f"{API}/auth/switch", json={"workspace": "acme"}), 403)

    # sign in straight into a workspace; the default workspace never sees acme's prompt
    direct = sign_in(core, ADMIN_EMAIL, ADMIN_PASSWORD, workspace="acme")
    assert ok(direct.get(f"{API}/auth/me"))["workspace"]["slug"] == "acme"
    names = [p["name"] for p in ok(app_client.get(f"{API}/prompts"))["items"]]
    assert "acme-only" not in names
    ok(admin.post(f"{API}/auth/switch", json={"workspace": "default"}))
    assert ok(admin.get(f"{API}/auth/me"))["workspace"]["slug"] == "default"
