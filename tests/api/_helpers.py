"""Small helpers shared by the API tests: requests, error checks and database snapshots."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from promptyard.services.context import Core

API = "/api/v1"
PROMPTS = f"{API}/prompts"
KEY_AUTHOR = "key:bootstrap-admin"

#: The tables a prompt write touches, each with a stable order for snapshots.
_TABLES = {
    "projects": "id",
    "prompts": "id",
    "prompt_tags": "prompt_id, tag",
    "prompt_versions": "id",
    "labels": "id",
    "label_events": "id",
    "branches": "id",
    "audit_events": "seq",
}


def url(path: str, project: str | None = None) -> str:
    return f"{path}?project={project}" if project else path


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body of a response that must have ``status``."""
    assert response.status_code == status, (response.status_code, response.text[:2000])
    if status == 204:
        assert response.content == b""
        return None
    return response.json()


def error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Check the one error shape; return ``error`` (``code``, ``message``, ``details``)."""
    assert response.status_code == status, (response.status_code, response.text[:2000])
    body = response.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message", "details"}, err
    assert isinstance(err["code"], str) and err["code"]
    assert isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code, err
    return err


def client_error(response: httpx.Response) -> dict[str, Any]:
    """Any 4xx with the error shape (never a 5xx, never a success)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:2000])
    return error(response, response.status_code)


def create(
    client: Any,
    name: str,
    content: Any = "Hello {{ name }}",
    *,
    project: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    body = {"name": name, "content": content, **fields}
    if isinstance(content, list) and "type" not in fields:
        body["type"] = "chat"
    return ok(client.post(url(PROMPTS, project), json=body), 201)


def patch(
    client: Any,
    name: str,
    *,
    project: str | None = None,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> httpx.Response:
    return client.patch(url(f"{PROMPTS}/{name}", project), json=fields, headers=headers)


def get(client: Any, name: str, *, project: str | None = None, **params: Any) -> httpx.Response:
    query = dict(params)
    if project:
        query["project"] = project
    return client.get(f"{PROMPTS}/{name}", params=query)


def versions(client: Any, name: str, *, project: str | None = None) -> list[dict[str, Any]]:
    body = ok(client.get(url(f"{PROMPTS}/{name}/versions", project), params={"limit": 500}))
    assert body["total"] == len(body["items"])
    return list(body["items"])


def set_label(client: Any, name: str, label: str, version: int) -> httpx.Response:
    return client.put(f"{PROMPTS}/{name}/labels/{label}", json={"version": version})


def new_project(client: Any, slug: str, name: str | None = None) -> dict[str, Any]:
    return ok(client.post(f"{API}/projects", json={"slug": slug, "name": name or slug}), 201)


def snapshot(core: Core) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every prompt-related table, to prove a request changed nothing."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with core.store.read() as session:
        for table, order in _TABLES.items():
            rows = session.execute(text(f"SELECT * FROM {table} ORDER BY {order}")).all()
            out[table] = [tuple(row) for row in rows]
    return out


def count_rows(core: Core, table: str) -> int:
    with core.store.read() as session:
        return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
