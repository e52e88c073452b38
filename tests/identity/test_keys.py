"""API keys: create (shown once), list (prefix only), revoke at once, expiry, role cap."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.identity._helpers import API, Clock, add_user, client, error, ok, sign_in


def test_key_create_list_revoke(app_client: TestClient, core: Core) -> None:
    created = ok(app_client.post(f"{API}/keys", json={"name": "ci", "role": "editor"}), 201)
    secret = created["key"]
    assert secret.startswith("py_") and created["prefix"] == secret[:10]
    listed = ok(app_client.get(f"{API}/keys"))["items"]
    assert any(k["id"] == created["id"] for k in listed)
    assert secret not in app_client.get(f"{API}/keys").text

    ci = client(core, secret)
    me = ok(ci.get(f"{API}/auth/me"))["actor"]
    assert me["role"] == "editor"
    # what the role allows, from the server's own table: no copy in the console
    assert "prompt:write" in me["permissions"] and "prompt:execute" in me["permissions"]
    assert "member:manage" not in me["permissions"]
    assert "account:manage" not in me["permissions"]
    ok(ci.get(f"{API}/prompts"))  # now cached
    # a console session made from the key ends with it
    browser = client(core)
    ok(browser.post(f"{API}/auth/login", json={"api_key": secret}))
    ok(browser.get(f"{API}/auth/me"))

    ok(app_client.delete(f"{API}/keys/{created['id']}"), 204)
    error(ci.get(f"{API}/prompts"), 401, "unauthenticated")
    error(ci.get(f"{API}/auth/me"), 401)
    error(browser.get(f"{API}/auth/me"), 401)
    revoked = next(
        k for k in ok(app_client.get(f"{API}/keys"))["items"] if k["id"] == created["id"]
    )
    assert revoked["revoked_at"] is not None
    error(app_client.delete(f"{API}/keys/99999"), 404)


def test_key_role_cap_and_ownership(app_client: TestClient, core: Core) -> None:
    add_user(app_client, "dan@example.com", "editor")
    dan = sign_in(core, "dan@example.com")
    error(dan.post(f"{API}/keys", json={"name": "k", "role": "admin"}), 403, "forbidden")
    error(
        dan.post(f"{API}/keys", json={"name": "k", "role": "viewer", "service_account": True}), 403
    )
    own = ok(dan.post(f"{API}/keys", json={"name": "mine", "role": "editor"}), 201)
    assert own["user_id"] is not None and not own["service_account"]
    service = ok(
        app_client.post(
            f"{API}/keys", json={"name": "svc", "role": "admin", "service_account": True}
        ),
        201,
    )
    assert service["service_account"] and service["user_id"] is None
    assert [k["name"] for k in ok(dan.get(f"{API}/keys"))["items"]] == ["mine"]
    error(dan.delete(f"{API}/keys/{service['id']}"), 404)
    everything = {k["name"] for k in ok(app_client.get(f"{API}/keys"))["items"]}
    assert {"mine", "svc", "bootstrap-admin"} <= everything
    ok(dan.delete(f"{API}/keys/{own['id']}"), 204)


def test_project_key_and_langfuse_pair(app_client: TestClient, core: Core) -> None:
    ok(app_client.post(f"{API}/projects", json={"slug": "ops", "name": "Ops"}), 201)
    scoped = ok(
        app_client.post(f"{API}/keys", json={"name": "ops", "role": "viewer", "project": "ops"}),
        201,
    )
    assert scoped["project"] == "ops"
    ops = client(core, scoped["key"])
    ok(ops.get(f"{API}/prompts", params={"project": "ops"}))
    error(ops.get(f"{API}/prompts", params={"project": "default"}), 404)
    error(app_client.post(f"{API}/keys", json={"name": "x", "project": "nope"}), 404)
    pair = ok(app_client.post(f"{API}/keys", json={"name": "lf", "kind": "langfuse"}), 201)
    assert pair["public_key"].startswith("pk-py-") and pair["key"].startswith("sk-py-")
    assert pair["project"] == "default"


def test_key_expiry(app_client: TestClient, core: Core) -> None:
    clock = Clock()
    core.clock = clock
    error(
        app_client.post(f"{API}/keys", json={"name": "old", "expires_at": "2020-01-01T00:00:00Z"}),
        422,
    )
    expires = (clock.now + timedelta(hours=1)).isoformat()
    created = ok(app_client.post(f"{API}/keys", json={"name": "soon", "expires_at": expires}), 201)
    short = client(core, created["key"])
    ok(short.get(f"{API}/auth/me"))
    core.actors.clear()  # the real-time cache; the test moves only the injected clock
    clock.advance(hours=2)
    body = error(short.get(f"{API}/auth/me"), 401)
    assert body["message"] == "this API key has expired"
