"""The account model: a workspace admin governs memberships, never another person's account.

The takeover this guards against: any signed-in user created a workspace, became its
admin, added a victim's email (which answered with the victim's id, name and last sign-in)
and then reset the victim's password or disabled the account from there.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.identity._helpers import API, PASSWORD, Clock, add_user, client, error, ok, sign_in

VICTIM = "victim@example.com"
VICTIM_PASSWORD = "the victim's own password"
ATTACKER = "mallory@example.com"
HIJACK = "mallory's chosen password"


def _invite(admin: TestClient, email: str, role: str = "viewer") -> dict[str, Any]:
    result: dict[str, Any] = ok(
        admin.post(f"{API}/invitations", json={"email": email, "role": role}), 201
    )
    return result


def _accept(core: Core, token: str, password: str, name: str = "") -> Any:
    return client(core).post(
        f"{API}/auth/invitations/accept",
        json={"token": token, "password": password, "name": name},
    )


def _victim_intact(core: Core, victim_id: int) -> None:
    """The victim still signs in with their own password, as admin of the default workspace."""
    victim = sign_in(core, VICTIM, VICTIM_PASSWORD, workspace="default")
    me = ok(victim.get(f"{API}/auth/me"))
    assert me["actor"]["id"] == victim_id and me["actor"]["role"] == "admin"
    assert me["workspace"]["slug"] == "default"
    error(client(core).post(f"{API}/auth/login", json={"email": VICTIM, "password": HIJACK}), 401)


@pytest.fixture
def world(app_client: TestClient, core: Core) -> dict[str, Any]:
    """A victim (admin of ``default``) and an attacker (viewer there, admin of ``ws2``).

    Workspace creation is opened to any user, so the attacker gets a workspace of their
    own the way the finding did.
    """
    victim = add_user(app_client, VICTIM, "admin", password=VICTIM_PASSWORD)
    attacker = add_user(app_client, ATTACKER, "viewer", password=PASSWORD)
    core.settings.workspace_creation = "any_user"
    mallory = sign_in(core, ATTACKER)
    ok(mallory.post(f"{API}/workspaces", json={"slug": "ws2", "name": "Mine"}), 201)
    ok(mallory.post(f"{API}/auth/switch", json={"workspace": "ws2"}))
    assert ok(mallory.get(f"{API}/auth/me"))["actor"]["role"] == "admin"
    return {"victim": victim, "attacker": attacker, "mallory": mallory}


def test_workspace_creation_is_for_instance_admins_by_default(
    app_client: TestClient, core: Core
) -> None:
    add_user(app_client, ATTACKER, "viewer")
    mallory = sign_in(core, ATTACKER)
    refused = error(mallory.post(f"{API}/workspaces", json={"slug": "ws2", "name": "X"}), 403)
    assert "instance administrator" in refused["message"]
    admin = sign_in(core, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert ok(admin.get(f"{API}/auth/me"))["actor"]["instance_admin"] is True
    ok(admin.post(f"{API}/workspaces", json={"slug": "ws2", "name": "X"}), 201)


def test_the_reported_takeover_fails_at_every_step(core: Core, world: dict[str, Any]) -> None:
    mallory: TestClient = world["mallory"]
    victim_id = world["victim"]["id"]
    # step 2: adding the victim's email creates nothing and reveals nothing
    refused = error(
        mallory.post(
            f"{API}/users",
            json={"email": VICTIM, "password": HIJACK, "role": "viewer"},
        ),
        403,
        "forbidden",
    )
    assert "instance administrator" in refused["message"]
    assert VICTIM not in refused["message"] and str(victim_id) not in str(refused["details"])
    known = _invite(mallory, VICTIM)
    unknown = _invite(mallory, "nobody-has-this@example.com")
    assert (
        set(known)
        == set(unknown)
        == {
            "id",
            "email",
            "role",
            "status",
            "created_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "token",
        }
    )
    assert known["status"] == unknown["status"] == "pending"
    assert "victim" not in str({k: v for k, v in known.items() if k != "email"}).lower()
    assert [m["email"] for m in ok(mallory.get(f"{API}/members"))["items"]] == [ATTACKER]
    # the token in the attacker's hands does not open the victim's account
    error(_accept(core, known["token"], HIJACK), 401, "wrong_password")
    # steps 3 and 4: no password reset, no lock-out, whatever the id
    for target in (victim_id, 99999):
        error(mallory.post(f"{API}/users/{target}/password", json={"password": HIJACK}), 403)
        error(mallory.patch(f"{API}/users/{target}", json={"is_active": False}), 403)
        error(mallory.patch(f"{API}/users/{target}", json={"name": "owned"}), 403)
    _victim_intact(core, victim_id)
    assert ok(sign_in(core, VICTIM, VICTIM_PASSWORD).get(f"{API}/auth/me"))["actor"]["name"] == (
        VICTIM
    )


def _changing_routes(victim_id: int) -> list[tuple[str, str, Any]]:
    """Every route that changes a user or a membership, aimed at the victim."""
    return [
        ("POST", "/users", {"email": VICTIM, "password": HIJACK, "role": "admin"}),
        ("PATCH", f"/users/{victim_id}", {"is_active": False}),
        ("PATCH", f"/users/{victim_id}", {"name": "owned", "is_instance_admin": True}),
        ("POST", f"/users/{victim_id}/password", {"password": HIJACK}),
        ("PUT", f"/members/{victim_id}", {"role": "viewer"}),
        ("DELETE", f"/members/{victim_id}", None),
        ("PUT", f"/projects/default/members/{victim_id}", {"role": "viewer"}),
        ("DELETE", f"/projects/default/members/{victim_id}", None),
        ("POST", "/invitations", {"email": VICTIM, "role": "admin"}),
    ]


def test_a_viewer_changes_nobody(app_client: TestClient, core: Core) -> None:
    victim = add_user(app_client, VICTIM, "admin", password=VICTIM_PASSWORD)
    add_user(app_client, ATTACKER, "viewer")
    viewer = sign_in(core, ATTACKER)
    for method, path, body in _changing_routes(victim["id"]):
        response = viewer.request(method, f"{API}{path}", json=body)
        assert response.status_code == 403, f"{method} {path}: {response.text}"
    pending = ok(app_client.get(f"{API}/invitations"))["items"]
    assert pending == []
    _victim_intact(core, victim["id"])


def test_another_workspace_admin_changes_nobody_here(core: Core, world: dict[str, Any]) -> None:
    mallory: TestClient = world["mallory"]
    victim_id = world["victim"]["id"]
    expected = {"/users": 403, f"/users/{victim_id}": 403, f"/users/{victim_id}/password": 403}
    for method, path, body in _changing_routes(victim_id):
        response = mallory.request(method, f"{API}{path}", json=body)
        if path == "/invitations":
            assert response.status_code == 201  # an invitation to ws2, which needs a password
            continue
        assert response.status_code == expected.get(path, 404), f"{method} {path}"
    _victim_intact(core, victim_id)


def test_an_admin_of_a_shared_workspace_manages_only_that_membership(
    app_client: TestClient, core: Core, world: dict[str, Any]
) -> None:
    mallory: TestClient = world["mallory"]
    victim_id = world["victim"]["id"]
    # the victim joins ws2 with their own password: now a member of two workspaces
    joined = _accept(core, _invite(mallory, VICTIM, "editor")["token"], VICTIM_PASSWORD)
    assert ok(joined)["workspace"]["slug"] == "ws2"
    victim_key = ok(
        sign_in(core, VICTIM, VICTIM_PASSWORD, workspace="default").post(
            f"{API}/keys", json={"name": "victim's", "role": "admin"}
        ),
        201,
    )["key"]
    members = {m["email"]: m for m in ok(mallory.get(f"{API}/members"))["items"]}
    assert members[VICTIM]["role"] == "editor"
    # account state stays out of reach
    error(mallory.post(f"{API}/users/{victim_id}/password", json={"password": HIJACK}), 403)
    error(mallory.patch(f"{API}/users/{victim_id}", json={"is_active": False}), 403)
    # the membership in ws2 is the attacker's to manage, and nothing beyond it
    assert ok(mallory.put(f"{API}/members/{victim_id}", json={"role": "viewer"}))["role"] == (
        "viewer"
    )
    ok(mallory.put(f"{API}/projects/default/members/{victim_id}", json={"role": "viewer"}))
    ok(mallory.delete(f"{API}/members/{victim_id}"), 204)
    _victim_intact(core, victim_id)
    still = client(core, victim_key)
    assert ok(still.get(f"{API}/auth/me"))["actor"]["role"] == "admin"
    default_members = {m["email"]: m for m in ok(app_client.get(f"{API}/members"))["items"]}
    assert default_members[VICTIM]["role"] == "admin"
    assert ok(app_client.get(f"{API}/projects/default/members"))["items"] == []


def test_invitations_new_and_existing_accounts(app_client: TestClient, core: Core) -> None:
    clock = Clock()
    core.clock = clock
    add_user(app_client, VICTIM, "editor", password=VICTIM_PASSWORD)
    ok(
        sign_in(core, ADMIN_EMAIL, ADMIN_PASSWORD).post(
            f"{API}/workspaces", json={"slug": "ws2", "name": "Two"}
        ),
        201,
    )
    admin = sign_in(core, ADMIN_EMAIL, ADMIN_PASSWORD, workspace="ws2")
    # a new person: the account is created with the password given, and signed in
    fresh = _invite(admin, "New@Example.com", "editor")
    assert fresh["email"] == "new@example.com"
    error(_accept(core, fresh["token"], "short"), 422)
    accepted = _accept(core, fresh["token"], PASSWORD, name="Newt")
    body = ok(accepted)
    assert body["actor"]["role"] == "editor" and body["workspace"]["slug"] == "ws2"
    assert "promptyard_session" in accepted.cookies
    error(_accept(core, fresh["token"], PASSWORD), 404, "invitation_unusable")
    assert ok(sign_in(core, "new@example.com").get(f"{API}/auth/me"))["workspace"] == {
        "slug": "ws2",
        "name": "Two",
    }
    # an existing account joins only with its own password; failures are throttled
    invite = _invite(admin, VICTIM, "reviewer")
    for _ in range(5):
        error(_accept(core, invite["token"], "a wrong password here"), 401, "wrong_password")
    error(_accept(core, invite["token"], VICTIM_PASSWORD), 429)
    clock.advance(minutes=16)
    ok(_accept(core, invite["token"], VICTIM_PASSWORD))
    statuses = {i["email"]: i["status"] for i in ok(admin.get(f"{API}/invitations"))["items"]}
    assert statuses == {"new@example.com": "accepted", VICTIM: "accepted"}
    assert all("token" not in i for i in ok(admin.get(f"{API}/invitations"))["items"])
    # re-inviting replaces a pending token; revoked and expired tokens are refused
    first = _invite(admin, "third@example.com")
    second = _invite(admin, "third@example.com")
    error(_accept(core, first["token"], PASSWORD), 404, "invitation_unusable")
    ok(admin.delete(f"{API}/invitations/{second['id']}"), 204)
    error(_accept(core, second["token"], PASSWORD), 404, "invitation_unusable")
    late = _invite(admin, "late@example.com")
    clock.advance(days=8)
    error(_accept(core, late["token"], PASSWORD), 404, "invitation_unusable")
    # another workspace cannot see or revoke these invitations
    error(app_client.delete(f"{API}/invitations/{late['id']}"), 404)
    assert ok(app_client.get(f"{API}/invitations"))["items"] == []


def test_instance_admin_manages_any_account(app_client: TestClient, core: Core) -> None:
    victim = add_user(app_client, VICTIM, "editor", password=VICTIM_PASSWORD)
    error(
        app_client.post(f"{API}/users", json={"email": VICTIM, "password": PASSWORD}),
        409,
        "already_exists",
    )
    ok(app_client.post(f"{API}/users/{victim['id']}/password", json={"password": PASSWORD}), 204)
    sign_in(core, VICTIM, PASSWORD)
    granted = ok(app_client.patch(f"{API}/users/{victim['id']}", json={"is_instance_admin": True}))
    assert granted["is_instance_admin"] is True
    promoted = sign_in(core, VICTIM, PASSWORD)
    assert ok(promoted.get(f"{API}/auth/me"))["actor"]["instance_admin"] is True
    admin_id = next(
        m["id"] for m in ok(app_client.get(f"{API}/users"))["items"] if m["email"] == ADMIN_EMAIL
    )
    # two instance admins: one may step down, the last may not
    ok(promoted.patch(f"{API}/users/{admin_id}", json={"is_instance_admin": False}))
    error(
        promoted.patch(f"{API}/users/{victim['id']}", json={"is_instance_admin": False}),
        409,
        "last_admin",
    )
