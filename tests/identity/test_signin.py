"""Sign-in throttling, password change and reset, and no secret in the audit trail."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from promptyard.services.context import Core
from promptyard.store.models import SqlAuditEvent
from tests.identity._helpers import API, PASSWORD, Clock, add_user, client, error, ok, sign_in

LOGIN = f"{API}/auth/login"


def _try(browser: TestClient, email: str, password: str) -> tuple[int, dict[str, str]]:
    response = browser.post(LOGIN, json={"email": email, "password": password})
    return response.status_code, dict(response.headers)


def test_lockout_after_five_failures(app_client: TestClient, core: Core) -> None:
    clock = Clock()
    core.clock = clock
    add_user(app_client, "eve@example.com")
    browser = client(core)
    for _ in range(5):
        assert _try(browser, "eve@example.com", "wrong password!")[0] == 401
    status, headers = _try(browser, "eve@example.com", PASSWORD)  # even the right one
    assert status == 429 and int(headers["retry-after"]) >= 1
    body = error(
        browser.post(LOGIN, json={"email": "eve@example.com", "password": "x"}),
        429,
        "too_many_requests",
    )
    assert body["details"]["retry_after"] >= 1
    # each further failure doubles the wait, and the tenth locks for 15 minutes
    delays = []
    for _ in range(5):
        clock.advance(seconds=int(headers["retry-after"]))
        assert _try(browser, "eve@example.com", "wrong again!!")[0] == 401
        status, headers = _try(browser, "eve@example.com", PASSWORD)
        assert status == 429
        delays.append(int(headers["retry-after"]))
    assert delays == [2, 4, 8, 16, 900]
    clock.advance(minutes=16)
    assert _try(browser, "eve@example.com", PASSWORD)[0] == 200  # success clears the count
    assert _try(browser, "eve@example.com", "one more miss")[0] == 401
    assert _try(browser, "eve@example.com", PASSWORD)[0] == 200


def test_unknown_email_is_throttled_too(anon_client: TestClient, core: Core) -> None:
    core.clock = Clock()
    for _ in range(5):
        body = error(
            anon_client.post(LOGIN, json={"email": "ghost@example.com", "password": "whatever123"}),
            401,
        )
        assert body["message"] == "wrong email or password"
    response = anon_client.post(LOGIN, json={"email": "ghost@example.com", "password": "x"})
    assert response.status_code == 429 and response.headers["retry-after"]
    with core.store.read() as session:
        actions = [e.action for e in session.execute(select(SqlAuditEvent)).scalars()]
    assert actions.count("auth.sign_in_failed") == 5


def test_password_change_and_reset(app_client: TestClient, core: Core) -> None:
    user = add_user(app_client, "fay@example.com")
    first = sign_in(core, "fay@example.com")
    second = sign_in(core, "fay@example.com")
    error(
        first.post(
            f"{API}/auth/password",
            json={"current_password": "not it at all", "new_password": "x" * 12},
        ),
        401,
    )
    error(
        first.post(
            f"{API}/auth/password", json={"current_password": PASSWORD, "new_password": "short"}
        ),
        422,
    )
    new = "a brand new passphrase"
    ok(
        first.post(
            f"{API}/auth/password", json={"current_password": PASSWORD, "new_password": new}
        ),
        204,
    )
    ok(first.get(f"{API}/auth/me"))  # this session stays
    error(second.get(f"{API}/auth/me"), 401)  # the other one ended
    error(client(core).post(LOGIN, json={"email": "fay@example.com", "password": PASSWORD}), 401)
    third = sign_in(core, "fay@example.com", new)
    # an API key has no password to change
    error(
        app_client.post(
            f"{API}/auth/password", json={"current_password": PASSWORD, "new_password": new}
        ),
        403,
    )

    reset = "reset by the admin!"
    ok(app_client.post(f"{API}/users/{user['id']}/password", json={"password": reset}), 204)
    error(first.get(f"{API}/auth/me"), 401)
    error(third.get(f"{API}/auth/me"), 401)
    error(client(core).post(LOGIN, json={"email": "fay@example.com", "password": new}), 401)
    sign_in(core, "fay@example.com", reset)
    error(app_client.post(f"{API}/users/99999/password", json={"password": reset}), 404)


def test_secrets_never_leave(app_client: TestClient, core: Core) -> None:
    user = add_user(app_client, "gus@example.com", password="gus secret password")
    ok(
        app_client.post(
            f"{API}/users/{user['id']}/password", json={"password": "gus reset password"}
        ),
        204,
    )
    gus = sign_in(core, "gus@example.com", "gus reset password")
    ok(
        gus.post(
            f"{API}/auth/password",
            json={"current_password": "gus reset password", "new_password": "gus changed password"},
        ),
        204,
    )
    client(core).post(LOGIN, json={"email": "gus@example.com", "password": "gus wrong password"})
    key = ok(app_client.post(f"{API}/keys", json={"name": "k", "role": "viewer"}), 201)["key"]
    pair = ok(app_client.post(f"{API}/keys", json={"name": "lf", "kind": "langfuse"}), 201)
    secrets = [
        "gus secret password",
        "gus reset password",
        "gus changed password",
        "gus wrong password",
        key,
        pair["key"],
    ]
    with core.store.read() as session:
        events = list(session.execute(select(SqlAuditEvent)).scalars())
    dump = " ".join(f"{e.actor} {e.object_id} {e.summary}" for e in events)
    assert {
        "user.create",
        "user.password_reset",
        "auth.password_change",
        "auth.sign_in_failed",
        "auth.sign_in",
        "key.create",
    } <= {e.action for e in events}
    for secret in secrets:
        assert secret not in dump
    listing = app_client.get(f"{API}/keys").text + app_client.get(f"{API}/users").text
    for secret in secrets:
        assert secret not in listing
