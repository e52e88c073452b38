"""Shared helpers of the accounts tests: signed-in clients, a settable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from promptyard.server.app import create_app
from promptyard.services.context import Core

API = "/api/v1"
PASSWORD = "a long enough password"


class Clock:
    """A clock the test moves by hand (``core.clock = Clock()``)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def client(core: Core, key: str | None = None) -> TestClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return TestClient(
        create_app(core, static_dir=None), headers=headers, raise_server_exceptions=False
    )


def sign_in(core: Core, email: str, password: str = PASSWORD, **extra: str) -> TestClient:
    """A console client signed in as ``email``, sending its CSRF token."""
    browser = client(core)
    response = browser.post(
        f"{API}/auth/login", json={"email": email, "password": password, **extra}
    )
    assert response.status_code == 200, response.text
    browser.headers["X-CSRF-Token"] = browser.cookies["promptyard_csrf"]
    return browser


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    if code is not None:
        assert body["code"] == code, body
    return body


def add_user(
    admin: TestClient, email: str, role: str = "editor", password: str = PASSWORD
) -> dict[str, Any]:
    body = {"email": email, "name": email.split("@")[0], "password": password, "role": role}
    result: dict[str, Any] = ok(admin.post(f"{API}/users", json=body), 201)
    return result
