"""Every route, every role and another workspace: the exact outcome of each request.

The routes come from ``ROUTE_PERMISSIONS``, so a route added without an entry there (or
without a request here) fails this module.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from promptyard.domain.actor import PERMISSIONS, ROLES
from promptyard.server.permissions import (
    AUTHENTICATED,
    PUBLIC,
    ROUTE_PERMISSIONS,
    is_known,
    iter_app_routes,
)
from promptyard.services.context import Core
from tests._factories import project_id
from tests.conftest import API_KEY
from tests.security._setup import (
    CALLS,
    OTHER,
    Call,
    add_key,
    default_workspace_id,
    error_of,
    send,
)

ROUTES = sorted(ROUTE_PERMISSIONS)


def _declared(context: object) -> set[str]:
    """The permissions a route asks for with ``require(...)``."""
    found: set[str] = set()
    dependant = getattr(context, "dependant", None)
    stack = list(dependant.dependencies) if dependant is not None else []
    while stack:
        sub = stack.pop()
        permission = getattr(sub.call, "permission", None)
        if permission:
            found.add(permission)
        stack.extend(sub.dependencies)
    return found


def test_every_route_is_in_the_table_and_back(full_app: FastAPI) -> None:
    routes = {(method, path): context for method, path, context in iter_app_routes(full_app.routes)}
    missing = sorted(set(routes) - set(ROUTE_PERMISSIONS))
    stale = sorted(set(ROUTE_PERMISSIONS) - set(routes))
    assert not missing, f"routes missing from server/permissions.py: {missing}"
    assert not stale, f"entries of server/permissions.py with no route: {stale}"
    for key, context in routes.items():
        entry = ROUTE_PERMISSIONS[key]
        assert is_known(entry), f"{key}: unknown permission {entry!r}"
        declared = _declared(context)
        if entry in (PUBLIC, AUTHENTICATED):
            assert not declared, f"{key} is {entry} in the table but requires {declared}"
        else:
            assert declared <= {entry}, f"{key}: table says {entry}, route requires {declared}"


def test_every_route_has_a_request_here() -> None:
    assert sorted(set(ROUTE_PERMISSIONS) - set(CALLS)) == []
    assert sorted(set(CALLS) - set(ROUTE_PERMISSIONS)) == []


def test_every_permission_is_used_or_reserved() -> None:
    used = set(ROUTE_PERMISSIONS.values()) - {PUBLIC, AUTHENTICATED}
    assert used <= set(PERMISSIONS)


def _no_auth_failure(response: object, what: str) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert status not in (401, 403), f"{what}: {status} {text}"
    assert status < 500, f"{what}: {status} {text}"


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_access(route: tuple[str, str], client: TestClient, keys: dict[str, str]) -> None:
    method, _path = route
    permission = ROUTE_PERMISSIONS[route]
    call: Call = CALLS[route]

    anonymous = send(client, method, call, None)
    if permission == PUBLIC:
        _no_auth_failure(anonymous, "anonymous on a public route")
    else:
        assert anonymous.status_code == 401, anonymous.text
        assert error_of(anonymous)["code"] == "unauthenticated"
        wrong = send(client, method, call, "py_not_a_key")
        assert wrong.status_code == 401, wrong.text

    for role in ROLES:
        response = send(client, method, call, keys[role])
        allowed = permission in (PUBLIC, AUTHENTICATED) or role in PERMISSIONS[permission]
        if allowed:
            _no_auth_failure(response, f"{role} holds {permission}")
        else:
            assert response.status_code == 403, f"{role} lacks {permission}: {response.text}"
            error = error_of(response)
            assert error["code"] == "forbidden"
            assert error["details"] == {"permission": permission, "role": role}

    foreign = send(client, method, call, keys[OTHER])
    if call.foreign is not None:
        assert foreign.status_code == call.foreign, f"other workspace: {foreign.text}"
    else:
        _no_auth_failure(foreign, "the other workspace's admin on its own workspace")


# -- what the other workspace must not see ------------------------------------------


def _as(client: TestClient, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_other_workspace_sees_nothing(client: TestClient, keys: dict[str, str]) -> None:
    other = _as(client, keys[OTHER])
    got = client.get("/api/v1/prompts/p", params={"project": "default"}, headers=other)
    assert got.status_code == 404
    assert "project" in got.json()["error"]["message"]
    export = client.get("/api/v1/projects/default/export", headers=other)
    assert export.status_code == 404
    labels = client.get("/api/v1/prompts/p/labels", params={"project": "default"}, headers=other)
    assert labels.status_code == 404
    by_id = client.get("/api/v1/prompts/templates/1/versions", headers=other)
    assert by_id.status_code == 404
    projects = client.get("/api/v1/projects", headers=other).json()["items"]
    assert [project["slug"] for project in projects] == ["other"]

    mine = client.get("/api/v1/audit", headers=_as(client, API_KEY)).json()
    assert mine["total"] > 0
    theirs = client.get("/api/v1/audit", headers=other).json()
    # Only their own workspace's one event: the creation of their admin key.
    assert theirs["total"] == 1
    [event] = theirs["items"]
    assert (event["action"], event["summary"]["name"]) == ("key.create", "acme")
    for fmt in ("csv", "jsonl"):
        body = client.get("/api/v1/audit/export", params={"format": fmt}, headers=other).text
        assert "prompt.create" not in body
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    "/api/v1/audit/export", params={"format": "csv"}, headers=_as(client, API_KEY)
                ).text
            )
        )
    )
    assert any(row["action"] == "prompt.create" for row in rows)
    verify = client.get("/api/v1/audit/verify", headers=other).json()
    assert set(verify) == {
        "ok",
        "checked",
        "first_broken_seq",
        "first_broken_id",
        "reason",
        "head_seq",
        "head_hash",
        "checkpoint",
    }
    assert verify["ok"] is True
    shown = json.dumps(verify).replace("checked", "").replace("first", "")
    assert "p" not in shown.replace("checkpoint", "")


def test_a_project_scoped_key_sees_only_its_project(core: Core, client: TestClient) -> None:
    client.headers["Authorization"] = f"Bearer {API_KEY}"
    assert client.post("/api/v1/projects", json={"slug": "side", "name": "S"}).status_code == 201
    del client.headers["Authorization"]
    token = add_key(
        core,
        role="admin",
        workspace_id=default_workspace_id(core),
        name="scoped",
        project_id=project_id(core, "side"),
    )
    headers = _as(client, token)
    assert client.get("/api/v1/prompts", params={"project": "side"}, headers=headers).is_success
    denied = client.get("/api/v1/prompts", params={"project": "default"}, headers=headers)
    assert denied.status_code == 404
    assert client.get("/api/v1/projects/default/export", headers=headers).status_code == 404
