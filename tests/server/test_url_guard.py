"""A NUL character anywhere in the URL is refused before any route runs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

PATHS = [
    "/api/v1/prompts?q=a%00b",
    "/api/v1/prompts?author=a%00b",
    "/api/v1/audit?actor=a%00b",
    "/api/v1/audit/export?object_id=%00",
    "/api/v1/change-requests?prompt=x%00",
    "/api/v1/prompts/p%00q",
]


@pytest.mark.parametrize("path", PATHS)
def test_nul_in_url_is_a_clear_400(app_client: TestClient, path: str) -> None:
    response = app_client.get(path)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert "NUL" in error["message"]
    assert response.headers["x-request-id"]
