"""Users, workspace roles (with the last-admin guard) and project narrowing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from promptyard.server.deps import SESSION_COOKIE
from promptyard.services.context import Core
from promptyard.services.identity import accounts, auth, projects
from tests.conftest import ADMIN_EMAIL
from tests.identity._helpers import API, PASSWORD, add_user, error, ok, sign_in


def test_user_crud(app_client: TestClient, core: Core) -> None:
    created = add_user(app_client, "Ann@Example.com", "editor")
    assert created["email"] == "ann@example.com" and created["role"] == "editor"
    assert "password" not in created and "password_hash" not in created
    error(
        app_client.post(f"{API}/users", json={"email": "ann@example.com", "password": PASSWORD}),
        409,
        "already_exists",
    )
    error(
        app_client.post(f"{API}/users", json={"email": "b@example.com", "password": "short"}),
        422,
        "validation_error",
    )
    error(
        app_client.post(
            f"{API}/users", json={"email": "c@example.com", "password": PASSWORD, "role": "owner"}
        ),
        422,
    )
    users = ok(app_client.get(f"{API}/users"))["items"]
    assert {u["email"] for u in users} == {ADMIN_EMAIL, "ann@example.com"}

    ann = sign_in(core, "ann@example.com")
    assert ok(ann.get(f"{API}/auth/me"))["actor"]["role"] == "editor"
    error(ann.get(f"{API}/users"), 403, "forbidden")
    assert len(ok(ann.get(f"{API}/members"))["items"]) == 2

    updated = ok(app_client.patch(f"{API}/users/{created['id']}", json={"name": "Ann B"}))
    assert updated["name"] == "Ann B"
    ok(app_client.patch(f"{API}/users/{created['id']}", json={"is_active": False}))
    error(ann.get(f"{API}/auth/me"), 401)
    error(
        app_client.post(
            f"{API}/auth/login", json={"email": "ann@example.com", "password": PASSWORD}
        ),
        401,
    )
    ok(app_client.patch(f"{API}/users/{created['id']}", json={"is_active": True}))
    sign_in(core, "ann@example.com")
    error(app_client.patch(f"{API}/users/99999", json={"name": "x"}), 404, "not_found")


def test_member_roles_and_last_admin_guard(app_client: TestClient, core: Core) -> None:
    users = ok(app_client.get(f"{API}/members"))["items"]
    admin_id = next(u["id"] for u in users if u["email"] == ADMIN_EMAIL)
    error(app_client.put(f"{API}/members/{admin_id}", json={"role": "editor"}), 409, "last_admin")
    error(app_client.delete(f"{API}/members/{admin_id}"), 409, "last_admin")
    error(app_client.patch(f"{API}/users/{admin_id}", json={"is_active": False}), 409)

    bob = add_user(app_client, "bob@example.com", "viewer")
    bob_client = sign_in(core, "bob@example.com")
    error(bob_client.post(f"{API}/prompts", json={"name": "p", "content": "x"}), 403)
    assert (
        ok(app_client.put(f"{API}/members/{bob['id']}", json={"role": "admin"}))["role"] == "admin"
    )
    # now there are two admins: the first may step down
    ok(app_client.put(f"{API}/members/{admin_id}", json={"role": "reviewer"}))
    ok(app_client.put(f"{API}/members/{admin_id}", json={"role": "admin"}))
    ok(app_client.delete(f"{API}/members/{bob['id']}"), 204)
    error(bob_client.get(f"{API}/auth/me"), 401)
    error(app_client.put(f"{API}/members/{bob['id']}", json={"role": "viewer"}), 404)
    error(app_client.put(f"{API}/members/{admin_id}", json={"role": "boss"}), 422)


def test_project_narrowing(app_client: TestClient, core: Core) -> None:
    carol = add_user(app_client, "carol@example.com", "reviewer")
    ok(app_client.post(f"{API}/projects", json={"slug": "ops", "name": "Ops"}), 201)
    url = f"{API}/projects/ops/members/{carol['id']}"
    error(app_client.put(url, json={"role": "admin"}), 422, "validation_error")
    row = ok(app_client.put(url, json={"role": "viewer"}))
    assert row == {
        "user_id": carol["id"],
        "email": "carol@example.com",
        "role": "viewer",
        "workspace_role": "reviewer",
    }
    assert ok(app_client.get(f"{API}/projects/ops/members"))["items"] == [row]
    assert ok(app_client.get(f"{API}/projects/default/members"))["items"] == []

    carol_client = sign_in(core, "carol@example.com")
    me = ok(carol_client.get(f"{API}/auth/me"))["actor"]
    # /auth/me says what she may do in the workspace, and narrowed in one project
    assert "review:approve" in me["permissions"] and me["project_permissions"] is None
    in_ops = ok(carol_client.get(f"{API}/auth/me", params={"project": "ops"}))["actor"]
    assert "review:approve" not in in_ops["project_permissions"]
    assert "prompt:write" not in in_ops["project_permissions"]
    assert "prompt:read" in in_ops["project_permissions"]
    error(carol_client.get(f"{API}/auth/me", params={"project": "nope"}), 404)
    # Carol as the server sees her: the actor of her console session, and the ids of
    # the projects as the routes resolve them.
    actor, _csrf = auth.authenticate_session(core, carol_client.cookies[SESSION_COOKIE])
    assert actor.id == me["id"] and actor.role == me["role"]
    ops_id = projects.resolve_project(core, actor, "ops")
    default_id = projects.resolve_project(core, actor, "default")
    assert accounts.effective_role(core, actor, ops_id) == "viewer"
    assert accounts.effective_role(core, actor, default_id) == "reviewer"
    # demoting in the workspace lowers a project role above the new one
    ok(app_client.put(url, json={"role": "editor"}))
    ok(app_client.put(f"{API}/members/{carol['id']}", json={"role": "viewer"}))
    assert ok(app_client.get(f"{API}/projects/ops/members"))["items"][0]["role"] == "viewer"

    ok(app_client.delete(url), 204)
    error(app_client.delete(url), 404)
    error(
        app_client.put(f"{API}/projects/nope/members/{carol['id']}", json={"role": "viewer"}), 404
    )
    error(app_client.put(f"{API}/projects/ops/members/99999", json={"role": "viewer"}), 404)
    assert PASSWORD  # used by sign_in
