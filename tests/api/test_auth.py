"""Authentication: Bearer keys, console sessions with CSRF, logout, and attribution."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from promptyard.services.context import Core
from tests.api._helpers import API, KEY_AUTHOR, PROMPTS, create, error, ok, snapshot
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, API_KEY

LOGIN = f"{API}/auth/login"
LOGOUT = f"{API}/auth/logout"
ME = f"{API}/auth/me"


def _login(client: TestClient, **body: str) -> dict:
    response = client.post(LOGIN, json=body)
    data = ok(response)
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("promptyard_session="))
    csrf = next(c for c in cookies if c.startswith("promptyard_csrf="))
    assert "httponly" in session.lower() and "samesite=strict" in session.lower()
    assert "httponly" not in csrf.lower()
    assert client.cookies.get("promptyard_session")
    assert client.cookies.get("promptyard_csrf")
    return data


def test_requests_without_valid_credentials_are_401(anon_client: TestClient, core: Core) -> None:
    state = snapshot(core)
    for method, path in (
        ("get", PROMPTS),
        ("get", f"{PROMPTS}/x"),
        ("post", PROMPTS),
        ("patch", f"{PROMPTS}/x"),
        ("delete", f"{PROMPTS}/x"),
        ("get", f"{API}/projects"),
        ("get", f"{PROMPTS}/templates"),
        ("post", f"{API}/templates/render"),
        ("get", ME),
        ("post", LOGOUT),
    ):
        response = anon_client.request(method, path, json={"name": "x", "content": "y"})
        err = error(response, 401, "unauthenticated")
        assert err["message"], (method, path)
        assert response.headers["www-authenticate"].lower().startswith("bearer")
    for header in (
        "Bearer wrong-key",
        "Bearer ",
        "Basic YWRtaW46cGFzcw==",
        f"Token {API_KEY}",
        API_KEY,
    ):
        response = anon_client.get(PROMPTS, headers={"Authorization": header})
        error(response, 401, "unauthenticated")
        response = anon_client.post(
            PROMPTS, json={"name": "x", "content": "y"}, headers={"Authorization": header}
        )
        error(response, 401, "unauthenticated")
    assert snapshot(core) == state
    # Wrong passwords and keys do not sign in.
    error(anon_client.post(LOGIN, json={"email": ADMIN_EMAIL, "password": "nope"}), 401)
    error(anon_client.post(LOGIN, json={"email": "who@example.com", "password": "x"}), 401)
    error(anon_client.post(LOGIN, json={"api_key": "py_wrong"}), 401)
    error(anon_client.post(LOGIN, json={"email": ADMIN_EMAIL}), 422, "validation_error")
    assert "promptyard_session" not in anon_client.cookies
    # The key itself works as a Bearer token.
    ok(anon_client.get(PROMPTS, headers={"Authorization": f"Bearer {API_KEY}"}))


def test_password_session_csrf_attribution_and_logout(
    anon_client: TestClient, app_client: TestClient, core: Core
) -> None:
    data = _login(anon_client, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    assert data["actor"]["type"] == "user"
    assert data["actor"]["name"] == ADMIN_EMAIL
    assert data["actor"]["role"] == "admin"
    me = ok(anon_client.get(ME))
    assert me["actor"]["name"] == ADMIN_EMAIL

    # Cookie-authenticated reads work without CSRF.
    create(app_client, "by-key", "k")
    assert ok(anon_client.get(f"{PROMPTS}/by-key"))["created_by"] == KEY_AUTHOR

    # Writes need the CSRF header with the cookie's value.
    state = snapshot(core)
    body = {"name": "by-user", "content": "u"}
    error(anon_client.post(PROMPTS, json=body), 403, "csrf_failed")
    error(
        anon_client.post(PROMPTS, json=body, headers={"X-CSRF-Token": "wrong"}), 403, "csrf_failed"
    )
    error(anon_client.patch(f"{PROMPTS}/by-key", json={"content": "x"}), 403, "csrf_failed")
    error(anon_client.delete(f"{PROMPTS}/by-key"), 403, "csrf_failed")
    assert snapshot(core) == state

    csrf = anon_client.cookies.get("promptyard_csrf")
    headers = {"X-CSRF-Token": csrf}
    created = ok(anon_client.post(PROMPTS, json=body, headers=headers), 201)
    assert created["created_by"] == created["updated_by"] == ADMIN_EMAIL
    assert created["version"]["author"] == ADMIN_EMAIL
    changed = ok(anon_client.patch(f"{PROMPTS}/by-key", json={"content": "x"}, headers=headers))
    assert changed["version"]["author"] == ADMIN_EMAIL
    assert changed["updated_by"] == ADMIN_EMAIL and changed["created_by"] == KEY_AUTHOR
    label = ok(
        anon_client.put(f"{PROMPTS}/by-key/labels/production", json={"version": 1}, headers=headers)
    )
    assert label["updated_by"] == ADMIN_EMAIL
    events = ok(anon_client.get(f"{PROMPTS}/by-key/label-events", params={"label": "production"}))
    assert events["items"][0]["actor"] == ADMIN_EMAIL

    # The audit trail names who did what.
    with core.store.read() as session:
        trail = session.execute(text("SELECT actor, action FROM audit_events ORDER BY seq")).all()
    pairs = [(row.actor, row.action) for row in trail]
    assert (KEY_AUTHOR, "prompt.create") in pairs
    assert (ADMIN_EMAIL, "prompt.create") in pairs
    assert (ADMIN_EMAIL, "prompt.update") in pairs
    assert (ADMIN_EMAIL, "label.move") in pairs
    assert (ADMIN_EMAIL, "auth.sign_in") in pairs

    # Logout ends the session on the server, not only in this client's cookie jar.
    token = anon_client.cookies.get("promptyard_session")
    ok(anon_client.post(LOGOUT, headers=headers), 204)
    assert "promptyard_session" not in anon_client.cookies
    error(anon_client.get(ME), 401, "unauthenticated")
    anon_client.cookies.set("promptyard_session", token)
    error(anon_client.get(ME), 401, "unauthenticated")
    error(anon_client.get(PROMPTS), 401, "unauthenticated")


def test_api_key_login_session_records_the_key(anon_client: TestClient, core: Core) -> None:
    data = _login(anon_client, api_key=API_KEY)
    assert data["actor"] == {
        "type": "key",
        "id": data["actor"]["id"],
        "name": KEY_AUTHOR,
        "role": "admin",
        "instance_admin": True,
    }
    csrf = anon_client.cookies.get("promptyard_csrf")
    error(anon_client.post(PROMPTS, json={"name": "k", "content": "c"}), 403, "csrf_failed")
    created = ok(
        anon_client.post(
            PROMPTS, json={"name": "k", "content": "c"}, headers={"X-CSRF-Token": csrf}
        ),
        201,
    )
    assert created["version"]["author"] == KEY_AUTHOR
    # Bearer requests need no CSRF header, even with a session cookie present.
    response = anon_client.post(
        PROMPTS,
        json={"name": "k2", "content": "c"},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert ok(response, 201)["updated_by"] == KEY_AUTHOR
