"""Shared helpers of the review tests: extra API keys, prompts, policies."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from promptyard.services.context import Core
from promptyard.services.identity import auth
from promptyard.store.models import SqlApiKey, SqlAuditEvent, SqlProject, SqlWorkspace

API = "/api/v1"


def make_key(
    core: Core, name: str, role: str = "reviewer", *, workspace_id: int | None = None
) -> dict[str, str]:
    """An API key row made directly; returns the Authorization header of its actor."""
    secret = f"py_{name}_secret_0123456789abcdef"
    with core.store.write() as session:
        if workspace_id is None:
            workspace_id = session.execute(
                select(SqlWorkspace.id).where(SqlWorkspace.slug == "default")
            ).scalar_one()
        session.add(
            SqlApiKey(
                workspace_id=workspace_id,
                name=name,
                kind="api",
                prefix=secret[:8],
                key_hash=auth.hash_secret(secret),
                role=role,
                created_at=core.clock(),
            )
        )
    return {"Authorization": f"Bearer {secret}"}


def other_workspace_admin(core: Core) -> dict[str, str]:
    with core.store.write() as session:
        workspace = SqlWorkspace(slug="other", name="Other", created_at=core.clock())
        session.add(workspace)
        session.flush()
        session.add(
            SqlProject(
                workspace_id=workspace.id,
                slug="default",
                name="Other default",
                settings={},
                created_at=core.clock(),
            )
        )
        workspace_id = workspace.id
    return make_key(core, "intruder", "admin", workspace_id=workspace_id)


def create_prompt(client: TestClient, name: str, content: str) -> dict[str, Any]:
    response = client.post(f"{API}/prompts", json={"name": name, "content": content})
    assert response.status_code == 201, response.text
    return dict(response.json())


def new_version(client: TestClient, name: str, content: str) -> int:
    response = client.patch(f"{API}/prompts/{name}", json={"content": content})
    assert response.status_code == 200, response.text
    return int(response.json()["version"]["number"])


def set_policy(client: TestClient, **policy: Any) -> dict[str, Any]:
    response = client.put(f"{API}/projects/default/policy", json=policy)
    assert response.status_code == 200, response.text
    return dict(response.json())


def open_request(client: TestClient, **body: Any) -> dict[str, Any]:
    body.setdefault("label", "production")
    response = client.post(f"{API}/change-requests", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def audit_actions(core: Core) -> list[str]:
    with core.store.read() as session:
        return list(
            session.execute(select(SqlAuditEvent.action).order_by(SqlAuditEvent.seq)).scalars()
        )
