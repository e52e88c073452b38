"""Keys of every role, a second workspace, and one request per route of the table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from promptyard.domain.actor import ROLES
from promptyard.services.context import Core
from promptyard.services.identity import auth
from promptyard.store.models import SqlApiKey, SqlProject, SqlWorkspace
from tests._factories import admin_context
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

OTHER = "other-admin"  # the admin key of a second workspace


def add_key(
    core: Core, *, role: str, workspace_id: int, name: str, project_id: int | None = None
) -> str:
    """An API key with ``role`` (in one project if ``project_id``), stored and audited the
    way the service stores one, created by the bootstrap admin; the plain token."""
    token = f"py_test_{name}_{role}_0123456789"
    with core.store.write() as session:
        auth.insert_key(
            core,
            session,
            ctx=admin_context(core),
            workspace_id=workspace_id,
            project_id=project_id,
            user_id=None,
            name=name,
            kind="api",
            secret=token,
            public_key=None,
            role=role,
        )
    return token


def set_key_role(core: Core, token: str, role: str) -> None:
    with core.store.write() as session:
        row = session.execute(
            select(SqlApiKey).where(SqlApiKey.key_hash == auth.hash_secret(token))
        ).scalar_one()
        row.role = role
    core.actors.clear()  # actors are cached for 30 s


def default_workspace_id(core: Core) -> int:
    with core.store.read() as session:
        return int(
            session.execute(
                select(SqlWorkspace.id).where(SqlWorkspace.slug == "default")
            ).scalar_one()
        )


def other_workspace(core: Core) -> str:
    """A second workspace with one project, ``other``, and an admin key; its token."""
    with core.store.write() as session:
        workspace = SqlWorkspace(slug="acme", name="Acme", created_at=core.clock())
        session.add(workspace)
        session.flush()
        session.add(
            SqlProject(
                workspace_id=workspace.id,
                slug="other",
                name="Other",
                settings={},
                created_at=core.clock(),
            )
        )
        workspace_id = workspace.id
    return add_key(core, role="admin", workspace_id=workspace_id, name="acme")


#: A feedback key of the default project: the public feedback route's credential, in its
#: body (the route is public: it answers 401 only to a wrong key).
FEEDBACK_KEY = "pyfb_access_matrix_0123456789"


def add_feedback_key(core: Core) -> None:
    workspace_id = default_workspace_id(core)
    with core.store.read() as session:
        project_id = session.execute(
            select(SqlProject.id).where(
                SqlProject.workspace_id == workspace_id, SqlProject.slug == "default"
            )
        ).scalar_one()
    with core.store.write() as session:
        auth.insert_key(
            core,
            session,
            ctx=admin_context(core),
            workspace_id=workspace_id,
            project_id=project_id,
            user_id=None,
            name="web",
            kind=auth.FEEDBACK_KEY_KIND,
            secret=FEEDBACK_KEY,
            public_key=None,
            role="viewer",
        )


def role_keys(core: Core) -> dict[str, str]:
    """One key per role in the default workspace, plus :data:`OTHER` (and the default
    project's feedback key, :data:`FEEDBACK_KEY`)."""
    workspace_id = default_workspace_id(core)
    add_feedback_key(core)
    keys = {role: add_key(core, role=role, workspace_id=workspace_id, name="t") for role in ROLES}
    keys[OTHER] = other_workspace(core)
    return keys


def seed(client: TestClient) -> None:
    """Prompt ``p`` with versions 1 and 2, provider connection ``demo`` and MCP server
    ``tools``, as the admin."""
    created = client.post("/api/v1/prompts", json={"name": "p", "content": "Hi {{ who }}"})
    assert created.status_code == 201, created.text
    updated = client.patch("/api/v1/prompts/p", json={"content": "Hello {{ who }}"})
    assert updated.status_code == 200, updated.text
    provider = client.post("/api/v1/providers", json={"name": "demo", "kind": "fake"})
    assert provider.status_code == 201, provider.text
    mcp = client.post(
        "/api/v1/mcp-servers", json={"name": "tools", "url": "https://mcp.example.com/mcp"}
    )
    assert mcp.status_code == 201, mcp.text


@dataclass(frozen=True)
class Call:
    """A minimal, mostly valid request for one route of the table.

    ``foreign``: what the admin of another workspace gets. ``404`` when the request
    names this workspace's project or objects; ``403`` when it acts on an account, which
    only an instance administrator may; ``None`` when the route is about the caller's own
    workspace (it then succeeds, on their own data).
    """

    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    foreign: int | None = 404


P = {"project": "default"}
MCP_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "access-matrix", "version": "1"},
    },
}
CALLS: dict[tuple[str, str], Call] = {
    ("GET", "/healthz"): Call("/healthz", foreign=None),
    ("GET", "/readyz"): Call("/readyz", foreign=None),
    ("GET", "/metrics"): Call("/metrics", foreign=None),
    ("GET", "/openapi.json"): Call("/openapi.json", foreign=None),
    ("GET", "/docs"): Call("/docs", foreign=None),
    ("GET", "/docs/oauth2-redirect"): Call("/docs/oauth2-redirect", foreign=None),
    ("GET", "/{path}"): Call("/index.html", foreign=None),
    # MCP over streamable HTTP (the other workspace has no project "default")
    ("GET", "/mcp"): Call("/mcp", P),
    ("POST", "/mcp"): Call("/mcp", P, MCP_INITIALIZE),
    ("DELETE", "/mcp"): Call("/mcp", P),
    # original routes
    ("GET", "/api/v1/prompts/templates"): Call("/api/v1/prompts/templates", P),
    ("POST", "/api/v1/prompts/templates"): Call(
        "/api/v1/prompts/templates", P, {"name": "t1", "content": "x"}
    ),
    ("PUT", "/api/v1/prompts/templates/{prompt_id}"): Call(
        "/api/v1/prompts/templates/1", json={"content": "changed"}
    ),
    ("GET", "/api/v1/prompts/templates/{prompt_id}/versions"): Call(
        "/api/v1/prompts/templates/1/versions"
    ),
    ("POST", "/api/v1/prompts/execute"): Call(
        "/api/v1/prompts/execute", P, {"model": "fake/echo", "prompt": "p", "variables": {}}
    ),
    ("POST", "/api/v1/templates/validate"): Call("/api/v1/templates/validate", P, {"content": "x"}),
    ("POST", "/api/v1/templates/render"): Call("/api/v1/templates/render", P, {"content": "x"}),
    ("GET", "/api/v1/models"): Call("/api/v1/models", foreign=None),
    # prompts
    ("GET", "/api/v1/prompts"): Call("/api/v1/prompts", P),
    ("POST", "/api/v1/prompts"): Call("/api/v1/prompts", P, {"name": "q", "content": "x"}),
    ("POST", "/api/v1/prompts/bulk"): Call(
        "/api/v1/prompts/bulk", P, {"names": ["p"], "action": "add_tags", "tags": ["x"]}
    ),
    ("GET", "/api/v1/prompts/changes"): Call(
        "/api/v1/prompts/changes", {"project": "default", "timeout": "0"}
    ),
    ("GET", "/api/v1/prompts/{name}"): Call("/api/v1/prompts/p", P),
    ("PATCH", "/api/v1/prompts/{name}"): Call("/api/v1/prompts/p", P, {"description": "d"}),
    ("DELETE", "/api/v1/prompts/{name}"): Call("/api/v1/prompts/p", P),
    ("POST", "/api/v1/prompts/{name}/restore"): Call("/api/v1/prompts/p/restore", P),
    ("GET", "/api/v1/prompts/{name}/versions"): Call("/api/v1/prompts/p/versions", P),
    ("GET", "/api/v1/prompts/{name}/versions/{number}"): Call("/api/v1/prompts/p/versions/1", P),
    ("GET", "/api/v1/prompts/{name}/diff"): Call(
        "/api/v1/prompts/p/diff", {**P, "from": "1", "to": "2"}
    ),
    ("POST", "/api/v1/prompts/{name}/rollback"): Call(
        "/api/v1/prompts/p/rollback", P, {"version": 1}
    ),
    ("GET", "/api/v1/prompts/{name}/labels"): Call("/api/v1/prompts/p/labels", P),
    ("PUT", "/api/v1/prompts/{name}/labels/{label}"): Call(
        "/api/v1/prompts/p/labels/staging", P, {"version": 1}
    ),
    ("DELETE", "/api/v1/prompts/{name}/labels/{label}"): Call(
        "/api/v1/prompts/p/labels/staging", P
    ),
    ("GET", "/api/v1/prompts/{name}/label-events"): Call("/api/v1/prompts/p/label-events", P),
    ("GET", "/api/v1/prompts/{name}/branches"): Call("/api/v1/prompts/p/branches", P),
    ("POST", "/api/v1/prompts/{name}/branches"): Call(
        "/api/v1/prompts/p/branches", P, {"name": "b1", "from_version": 1}
    ),
    ("POST", "/api/v1/prompts/{name}/branches/{branch}/merge"): Call(
        "/api/v1/prompts/p/branches/b1/merge", P, {}
    ),
    ("DELETE", "/api/v1/prompts/{name}/branches/{branch}"): Call(
        "/api/v1/prompts/p/branches/b1", P
    ),
    ("POST", "/api/v1/prompts/{name}/render"): Call(
        "/api/v1/prompts/p/render", P, {"variables": {"who": "x"}}
    ),
    # quality
    ("GET", "/api/v1/prompts/{name}/findings"): Call("/api/v1/prompts/p/findings", P),
    ("GET", "/api/v1/prompts/{name}/quality-trend"): Call("/api/v1/prompts/p/quality-trend", P),
    ("POST", "/api/v1/scan"): Call("/api/v1/scan", P, {"content": "Hi {{ who }}"}),
    ("GET", "/api/v1/quality/rules"): Call("/api/v1/quality/rules", foreign=None),
    ("GET", "/api/v1/prompts/{name}/similar"): Call("/api/v1/prompts/p/similar", P),
    ("GET", "/api/v1/quality/near-duplicates"): Call("/api/v1/quality/near-duplicates", P),
    ("POST", "/api/v1/prompts/{name}/review"): Call(
        "/api/v1/prompts/p/review", P, {"connection": "fake", "model": "json", "dry_run": True}
    ),
    ("GET", "/api/v1/semantic-search"): Call(
        "/api/v1/semantic-search", {**P, "q": "summarise support tickets"}
    ),
    ("GET", "/api/v1/semantic-search/status"): Call("/api/v1/semantic-search/status", P),
    ("GET", "/api/v1/semantic-search/source"): Call("/api/v1/semantic-search/source", foreign=None),
    ("PUT", "/api/v1/semantic-search/source"): Call(
        "/api/v1/semantic-search/source", json={"connection": "demo", "model": "embed-small"}
    ),
    ("DELETE", "/api/v1/semantic-search/source"): Call(
        "/api/v1/semantic-search/source", foreign=None
    ),
    ("GET", "/api/v1/quality/clusters"): Call("/api/v1/quality/clusters", P),
    ("GET", "/api/v1/quality/score-correlation"): Call("/api/v1/quality/score-correlation", P),
    ("GET", "/api/v1/mcp-servers"): Call("/api/v1/mcp-servers", foreign=None),
    ("POST", "/api/v1/mcp-servers"): Call(
        "/api/v1/mcp-servers",
        json={"name": "m2", "url": "https://mcp.example.com/mcp"},
        foreign=None,
    ),
    ("GET", "/api/v1/mcp-servers/references"): Call("/api/v1/mcp-servers/references", P),
    ("GET", "/api/v1/mcp-servers/{name}"): Call("/api/v1/mcp-servers/tools"),
    ("PATCH", "/api/v1/mcp-servers/{name}"): Call(
        "/api/v1/mcp-servers/tools", json={"description": "changed"}
    ),
    ("DELETE", "/api/v1/mcp-servers/{name}"): Call("/api/v1/mcp-servers/tools"),
    ("POST", "/api/v1/mcp-servers/{name}/refresh"): Call("/api/v1/mcp-servers/tools/refresh"),
    ("GET", "/api/v1/projects/{slug}/quality-policy"): Call(
        "/api/v1/projects/default/quality-policy"
    ),
    ("PUT", "/api/v1/projects/{slug}/quality-policy"): Call(
        "/api/v1/projects/default/quality-policy", json={"block_secrets_on_save": False}
    ),
    # the generation record and feedback
    ("POST", "/api/v1/generations/batch"): Call(
        "/api/v1/generations/batch", P, {"generations": [{"id": "g1", "model": "gpt-4o"}]}
    ),
    ("GET", "/api/v1/generations"): Call("/api/v1/generations", P),
    ("GET", "/api/v1/projects/{slug}/generation-settings"): Call(
        "/api/v1/projects/default/generation-settings"
    ),
    ("PUT", "/api/v1/projects/{slug}/generation-settings"): Call(
        "/api/v1/projects/default/generation-settings", json={"store_text": True}
    ),
    ("GET", "/api/v1/projects/{slug}/retention"): Call("/api/v1/projects/default/retention"),
    ("PUT", "/api/v1/projects/{slug}/retention"): Call(
        "/api/v1/projects/default/retention", json={"generation_days": None}
    ),
    ("POST", "/api/v1/generations/recompute-costs"): Call(
        "/api/v1/generations/recompute-costs",
        P,
        {"since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"},
    ),
    ("GET", "/api/v1/generations/{generation_id}"): Call("/api/v1/generations/g1", P),
    # analytics over the rollups
    ("GET", "/api/v1/analytics/usage"): Call("/api/v1/analytics/usage", P),
    ("GET", "/api/v1/analytics/performance"): Call("/api/v1/analytics/performance", P),
    ("GET", "/api/v1/analytics/costs"): Call("/api/v1/analytics/costs", P),
    ("GET", "/api/v1/analytics/compare"): Call(
        "/api/v1/analytics/compare", {**P, "prompt": "p", "a": "1", "b": "2"}
    ),
    ("GET", "/api/v1/analytics/trends"): Call("/api/v1/analytics/trends", P),
    # evaluation runs (no dataset or run exists here: an allowed caller gets 404)
    ("POST", "/api/v1/evaluations"): Call(
        "/api/v1/evaluations",
        P,
        {"prompt": "p", "dataset": "d", "evaluators": [{"kind": "exact_match"}], "dry_run": True},
    ),
    ("GET", "/api/v1/evaluations"): Call("/api/v1/evaluations", P),
    ("GET", "/api/v1/evaluations/{run_id}"): Call("/api/v1/evaluations/1", P),
    ("GET", "/api/v1/evaluations/{run_id}/results"): Call("/api/v1/evaluations/1/results", P),
    ("POST", "/api/v1/evaluations/{run_id}/cancel"): Call("/api/v1/evaluations/1/cancel", P),
    ("POST", "/api/v1/evaluations/{run_id}/resume"): Call("/api/v1/evaluations/1/resume", P),
    ("GET", "/api/v1/evaluations/{run_id}/compare"): Call(
        "/api/v1/evaluations/1/compare", {**P, "baseline": "1"}
    ),
    # datasets, evaluators, scores (no dataset "d" exists here: an allowed reader gets 404)
    ("GET", "/api/v1/datasets"): Call("/api/v1/datasets", P),
    ("POST", "/api/v1/datasets"): Call(
        "/api/v1/datasets", P, {"name": "ds", "cases": [{"input": {"who": "Ada"}}]}
    ),
    ("GET", "/api/v1/datasets/{name}"): Call("/api/v1/datasets/d", P),
    ("GET", "/api/v1/datasets/{name}/versions"): Call("/api/v1/datasets/d/versions", P),
    ("POST", "/api/v1/datasets/{name}/cases"): Call(
        "/api/v1/datasets/d/cases", P, {"cases": [{"input": {"who": "Ada"}}]}
    ),
    ("PATCH", "/api/v1/datasets/{name}/cases/{case_id}"): Call(
        "/api/v1/datasets/d/cases/c1", P, {"expected": "x"}
    ),
    ("DELETE", "/api/v1/datasets/{name}/cases/{case_id}"): Call("/api/v1/datasets/d/cases/c1", P),
    ("POST", "/api/v1/datasets/{name}/import"): Call(
        "/api/v1/datasets/d2/import", {**P, "format": "json"}, [{"input": {"who": "Ada"}}]
    ),
    ("GET", "/api/v1/datasets/{name}/export"): Call("/api/v1/datasets/d/export", P),
    ("POST", "/api/v1/datasets/{name}/from-generations"): Call(
        "/api/v1/datasets/d/from-generations", P, {"generation_ids": ["g1"]}
    ),
    ("GET", "/api/v1/evaluators"): Call("/api/v1/evaluators", P, foreign=None),
    ("POST", "/api/v1/evaluators/test"): Call(
        "/api/v1/evaluators/test", P, {"kind": "exact_match", "output": "a", "expected": "a"}
    ),
    ("GET", "/api/v1/scores"): Call("/api/v1/scores", P),
    ("GET", "/api/v1/online-evaluators"): Call("/api/v1/online-evaluators", P),
    ("POST", "/api/v1/online-evaluators"): Call(
        "/api/v1/online-evaluators",
        P,
        {"name": "o1", "prompt": "p", "kind": "length", "sample_rate": 1},
    ),
    ("PATCH", "/api/v1/online-evaluators/{name}"): Call(
        "/api/v1/online-evaluators/o1", P, {"active": False}
    ),
    ("DELETE", "/api/v1/online-evaluators/{name}"): Call("/api/v1/online-evaluators/o1", P),
    # annotation queues (no queue 99999 exists here: an allowed caller gets 404)
    ("GET", "/api/v1/annotation-queues"): Call("/api/v1/annotation-queues", P),
    ("POST", "/api/v1/annotation-queues"): Call(
        "/api/v1/annotation-queues", P, {"name": "q1", "annotators_required": 2}
    ),
    ("GET", "/api/v1/annotation-queues/{queue_id}"): Call("/api/v1/annotation-queues/99999", P),
    ("PATCH", "/api/v1/annotation-queues/{queue_id}"): Call(
        "/api/v1/annotation-queues/99999", P, {"lease_seconds": 300}
    ),
    ("DELETE", "/api/v1/annotation-queues/{queue_id}"): Call("/api/v1/annotation-queues/99999", P),
    ("GET", "/api/v1/annotation-queues/{queue_id}/items"): Call(
        "/api/v1/annotation-queues/99999/items", P
    ),
    ("POST", "/api/v1/annotation-queues/{queue_id}/items"): Call(
        "/api/v1/annotation-queues/99999/items", P, {"generation_ids": ["g1"]}
    ),
    ("POST", "/api/v1/annotation-queues/{queue_id}/next"): Call(
        "/api/v1/annotation-queues/99999/next", P
    ),
    ("POST", "/api/v1/annotation-queues/{queue_id}/items/{item_id}/lease"): Call(
        "/api/v1/annotation-queues/99999/items/1/lease", P
    ),
    ("POST", "/api/v1/annotation-queues/{queue_id}/items/{item_id}/skip"): Call(
        "/api/v1/annotation-queues/99999/items/1/skip", P
    ),
    ("POST", "/api/v1/annotation-queues/{queue_id}/items/{item_id}/scores"): Call(
        "/api/v1/annotation-queues/99999/items/1/scores", P, {"scores": {"quality": 3}}
    ),
    ("GET", "/api/v1/annotation-queues/{queue_id}/agreement"): Call(
        "/api/v1/annotation-queues/99999/agreement", P
    ),
    # traces: OTLP ingest (an empty JSON export) and reading
    ("POST", "/v1/traces"): Call("/v1/traces", P, {}),
    ("POST", "/api/public/otel/v1/traces"): Call("/api/public/otel/v1/traces", P, {}),
    ("GET", "/api/v1/traces"): Call("/api/v1/traces", P),
    ("GET", "/api/v1/traces/{trace_id}"): Call("/api/v1/traces/t1", P),
    ("POST", "/api/v1/analytics/feedback"): Call(
        "/api/v1/analytics/feedback", P, {"session_id": "s1", "kind": "thumbs", "value": 1}
    ),
    ("GET", "/api/v1/analytics/feedback"): Call("/api/v1/analytics/feedback", P),
    # authenticated by the feedback key in the body, whoever calls
    ("POST", "/api/v1/analytics/feedback/public"): Call(
        "/api/v1/analytics/feedback/public",
        json={"key": FEEDBACK_KEY, "generation_id": "g1", "kind": "thumbs", "value": 1},
        foreign=None,
    ),
    ("GET", "/feedback.js"): Call("/feedback.js", foreign=None),
    ("GET", "/api/v1/folders"): Call("/api/v1/folders", P),
    ("GET", "/api/v1/tags"): Call("/api/v1/tags", P),
    # projects
    ("GET", "/api/v1/projects"): Call("/api/v1/projects", foreign=None),
    ("POST", "/api/v1/projects"): Call(
        "/api/v1/projects", json={"slug": "np", "name": "N"}, foreign=None
    ),
    ("GET", "/api/v1/projects/{slug}/export"): Call("/api/v1/projects/default/export"),
    ("POST", "/api/v1/projects/{slug}/import"): Call(
        "/api/v1/projects/default/import", json={"prompts": []}
    ),
    # sign-in and accounts
    ("POST", "/api/v1/auth/login"): Call(
        "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, foreign=None
    ),
    ("POST", "/api/v1/auth/logout"): Call("/api/v1/auth/logout", foreign=None),
    ("GET", "/api/v1/auth/me"): Call("/api/v1/auth/me", foreign=None),
    ("GET", "/api/v1/system/health"): Call("/api/v1/system/health", foreign=None),
    ("POST", "/api/v1/projects/{slug}/point-in-time-restore"): Call(
        "/api/v1/projects/default/point-in-time-restore", json={"at": "2020-01-01T00:00:00Z"}
    ),
    ("GET", "/api/v1/system/jobs"): Call("/api/v1/system/jobs", foreign=None),
    ("POST", "/api/v1/auth/password"): Call("/api/v1/auth/password", json={}, foreign=None),
    ("POST", "/api/v1/auth/switch"): Call("/api/v1/auth/switch", json={}, foreign=None),
    ("GET", "/api/v1/users"): Call("/api/v1/users", foreign=None),
    ("POST", "/api/v1/users"): Call("/api/v1/users", json={}, foreign=403),
    ("PATCH", "/api/v1/users/{user_id}"): Call("/api/v1/users/1", json={"name": "A"}, foreign=403),
    ("POST", "/api/v1/users/{user_id}/password"): Call(
        "/api/v1/users/99999/password",
        json={"password": "a long enough new password 1"},
        foreign=403,
    ),
    ("GET", "/api/v1/invitations"): Call("/api/v1/invitations", foreign=None),
    ("POST", "/api/v1/invitations"): Call(
        "/api/v1/invitations", json={"email": "new@example.com"}, foreign=None
    ),
    ("DELETE", "/api/v1/invitations/{invitation_id}"): Call("/api/v1/invitations/99999"),
    ("POST", "/api/v1/auth/invitations/accept"): Call(
        "/api/v1/auth/invitations/accept",
        json={"token": "pyi_not_a_token", "password": "x"},
        foreign=None,
    ),
    ("GET", "/api/v1/members"): Call("/api/v1/members", foreign=None),
    ("PUT", "/api/v1/members/{user_id}"): Call("/api/v1/members/99999", json={"role": "viewer"}),
    ("DELETE", "/api/v1/members/{user_id}"): Call("/api/v1/members/99999"),
    ("GET", "/api/v1/projects/{slug}/members"): Call("/api/v1/projects/default/members"),
    ("PUT", "/api/v1/projects/{slug}/members/{user_id}"): Call(
        "/api/v1/projects/default/members/99999", json={"role": "viewer"}
    ),
    ("DELETE", "/api/v1/projects/{slug}/members/{user_id}"): Call(
        "/api/v1/projects/default/members/99999"
    ),
    ("GET", "/api/v1/keys"): Call("/api/v1/keys", foreign=None),
    ("POST", "/api/v1/keys"): Call("/api/v1/keys", json={}, foreign=None),
    ("DELETE", "/api/v1/keys/{key_id}"): Call("/api/v1/keys/99999"),
    ("GET", "/api/v1/workspaces"): Call("/api/v1/workspaces", foreign=None),
    ("POST", "/api/v1/workspaces"): Call("/api/v1/workspaces", json={}, foreign=None),
    # review workflow
    ("GET", "/api/v1/projects/{slug}/policy"): Call("/api/v1/projects/default/policy"),
    ("PUT", "/api/v1/projects/{slug}/policy"): Call("/api/v1/projects/default/policy", json={}),
    ("POST", "/api/v1/change-requests"): Call(
        "/api/v1/change-requests", P, {"prompt": "p", "version": 1, "label": "production"}
    ),
    ("GET", "/api/v1/change-requests"): Call("/api/v1/change-requests", P),
    ("GET", "/api/v1/change-requests/{request_id}"): Call("/api/v1/change-requests/99999"),
    ("POST", "/api/v1/change-requests/{request_id}/comments"): Call(
        "/api/v1/change-requests/99999/comments", json={"body": "hi"}
    ),
    ("POST", "/api/v1/change-requests/{request_id}/approve"): Call(
        "/api/v1/change-requests/99999/approve", json={}
    ),
    ("POST", "/api/v1/change-requests/{request_id}/request-changes"): Call(
        "/api/v1/change-requests/99999/request-changes", json={"comment": "no"}
    ),
    ("POST", "/api/v1/change-requests/{request_id}/apply"): Call(
        "/api/v1/change-requests/99999/apply"
    ),
    ("POST", "/api/v1/change-requests/{request_id}/close"): Call(
        "/api/v1/change-requests/99999/close", json={}
    ),
    ("POST", "/api/v1/prompts/{name}/lifecycle"): Call(
        "/api/v1/prompts/p/lifecycle", P, {"state": "published"}
    ),
    ("GET", "/api/v1/prompts/{name}/impact"): Call("/api/v1/prompts/p/impact", P),
    ("POST", "/api/v1/webhooks"): Call(
        "/api/v1/webhooks", P, {"url": "http://127.0.0.1:9/hook", "events": ["prompt.updated"]}
    ),
    ("GET", "/api/v1/webhooks"): Call("/api/v1/webhooks", P),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): Call("/api/v1/webhooks/99999"),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): Call("/api/v1/webhooks/99999/deliveries"),
    ("POST", "/api/v1/webhooks/{webhook_id}/test"): Call("/api/v1/webhooks/99999/test"),
    # provider connections and prices (the caller's workspace: ``demo`` is not the other's)
    # alerts: budgets, rules, channels, fired alerts (the other workspace sees its own)
    ("GET", "/api/v1/budgets"): Call("/api/v1/budgets", foreign=None),
    ("POST", "/api/v1/budgets"): Call(
        "/api/v1/budgets", json={"name": "b", "project": "default", "amount": 10}
    ),
    ("GET", "/api/v1/budgets/{budget_id}"): Call("/api/v1/budgets/99999"),
    ("PATCH", "/api/v1/budgets/{budget_id}"): Call("/api/v1/budgets/99999", json={"amount": 5}),
    ("DELETE", "/api/v1/budgets/{budget_id}"): Call("/api/v1/budgets/99999"),
    ("GET", "/api/v1/alert-rules"): Call("/api/v1/alert-rules", foreign=None),
    ("POST", "/api/v1/alert-rules"): Call(
        "/api/v1/alert-rules", json={"name": "r", "kind": "cost", "threshold": 1}
    ),
    ("GET", "/api/v1/alert-rules/{rule_id}"): Call("/api/v1/alert-rules/99999"),
    ("PATCH", "/api/v1/alert-rules/{rule_id}"): Call(
        "/api/v1/alert-rules/99999", json={"threshold": 2}
    ),
    ("DELETE", "/api/v1/alert-rules/{rule_id}"): Call("/api/v1/alert-rules/99999"),
    ("GET", "/api/v1/alert-channels"): Call("/api/v1/alert-channels", foreign=None),
    ("POST", "/api/v1/alert-channels"): Call(
        "/api/v1/alert-channels",
        json={"name": "c", "kind": "slack", "url": "https://hooks.example.com/services/x"},
        foreign=None,
    ),
    ("DELETE", "/api/v1/alert-channels/{channel_id}"): Call("/api/v1/alert-channels/99999"),
    ("POST", "/api/v1/alert-channels/{channel_id}/test"): Call("/api/v1/alert-channels/99999/test"),
    ("GET", "/api/v1/alerts"): Call("/api/v1/alerts", foreign=None),
    # experiments (the other workspace's "default" project has none of these)
    ("GET", "/api/v1/experiments"): Call("/api/v1/experiments", P, foreign=None),
    ("POST", "/api/v1/experiments"): Call(
        "/api/v1/experiments",
        P,
        {
            "name": "e",
            "prompt": "p",
            "variants": [
                {"name": "a", "label": "production"},
                {"name": "b", "label": "staging"},
            ],
        },
    ),
    ("POST", "/api/v1/experiments/power"): Call(
        "/api/v1/experiments/power", json={"effect_size": 0.5}, foreign=None
    ),
    ("POST", "/api/v1/experiments/offline"): Call(
        "/api/v1/experiments/offline",
        json={"variants": {"a": {"c1": 1, "c2": 0}, "b": {"c1": 1, "c2": 1}}},
        foreign=None,
    ),
    ("GET", "/api/v1/experiments/offline/runs/{run_id}"): Call(
        "/api/v1/experiments/offline/runs/99999", {"evaluator": "x", **P}
    ),
    ("GET", "/api/v1/experiments/active"): Call("/api/v1/experiments/active", P, foreign=None),
    ("GET", "/api/v1/experiments/assignment"): Call(
        "/api/v1/experiments/assignment", {"prompt": "p", "unit": "u1", **P}, foreign=None
    ),
    ("GET", "/api/v1/experiments/{experiment_id}"): Call("/api/v1/experiments/99999", P),
    ("GET", "/api/v1/experiments/{experiment_id}/results"): Call(
        "/api/v1/experiments/99999/results", P
    ),
    ("POST", "/api/v1/experiments/{experiment_id}/start"): Call(
        "/api/v1/experiments/99999/start", P
    ),
    ("POST", "/api/v1/experiments/{experiment_id}/stop"): Call("/api/v1/experiments/99999/stop", P),
    ("POST", "/api/v1/experiments/{experiment_id}/promote"): Call(
        "/api/v1/experiments/99999/promote", P, {"variant": "b"}
    ),
    ("GET", "/api/v1/alerts/{alert_id}"): Call("/api/v1/alerts/99999"),
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): Call("/api/v1/alerts/99999/acknowledge"),
    ("POST", "/api/v1/alerts/{alert_id}/silence"): Call(
        "/api/v1/alerts/99999/silence", json={"until": "2030-01-01T00:00:00Z"}
    ),
    ("DELETE", "/api/v1/alerts/{alert_id}/silence"): Call("/api/v1/alerts/99999/silence"),
    ("GET", "/api/v1/alerts/{alert_id}/deliveries"): Call("/api/v1/alerts/99999/deliveries"),
    ("GET", "/api/v1/providers"): Call("/api/v1/providers", foreign=None),
    ("POST", "/api/v1/providers"): Call(
        "/api/v1/providers", json={"name": "x", "kind": "fake"}, foreign=None
    ),
    ("GET", "/api/v1/providers/{name}"): Call("/api/v1/providers/demo"),
    ("PATCH", "/api/v1/providers/{name}"): Call(
        "/api/v1/providers/demo", json={"max_concurrency": 2}
    ),
    ("DELETE", "/api/v1/providers/{name}"): Call("/api/v1/providers/demo"),
    ("GET", "/api/v1/providers/{name}/models"): Call("/api/v1/providers/demo/models"),
    ("GET", "/api/v1/providers/prices"): Call("/api/v1/providers/prices", foreign=None),
    ("POST", "/api/v1/providers/prices"): Call(
        "/api/v1/providers/prices",
        json={"model": "m", "input_per_mtok": 1, "output_per_mtok": 2},
        foreign=None,
    ),
    ("DELETE", "/api/v1/providers/prices/{price_id}"): Call("/api/v1/providers/prices/99999"),
    # audit
    ("GET", "/api/v1/audit"): Call("/api/v1/audit", foreign=None),
    ("GET", "/api/v1/audit/verify"): Call("/api/v1/audit/verify", foreign=None),
    ("POST", "/api/v1/audit/verify"): Call(
        "/api/v1/audit/verify",
        json={
            "checkpoint": {
                "format": "promptyard-audit-checkpoint",
                "seq": 1,
                "hash": "0" * 64,
                "created_at": "2026-01-01T00:00:00+00:00",
                "key_id": "0" * 16,
                "public_key": "AAAA",
                "signature": "AAAA",
            }
        },
        foreign=None,
    ),
    ("GET", "/api/v1/audit/checkpoints"): Call("/api/v1/audit/checkpoints", foreign=None),
    ("POST", "/api/v1/audit/checkpoints"): Call("/api/v1/audit/checkpoints", foreign=None),
    ("GET", "/api/v1/audit/export"): Call("/api/v1/audit/export", {"format": "csv"}, foreign=None),
    # Langfuse's prompt API (Langfuse's error shape: see error_of)
    ("GET", "/api/public/v2/prompts"): Call("/api/public/v2/prompts"),
    ("POST", "/api/public/v2/prompts"): Call(
        "/api/public/v2/prompts", json={"name": "lf", "prompt": "x"}
    ),
    ("GET", "/api/public/v2/prompts/{name}"): Call("/api/public/v2/prompts/p", {"label": "latest"}),
    ("PATCH", "/api/public/v2/prompts/{name}/versions/{version}"): Call(
        "/api/public/v2/prompts/p/versions/1", json={"newLabels": ["staging"]}
    ),
}


def error_of(response: Any) -> dict[str, Any]:
    """The error of an answer: Promptyard's ``{"error": {...}}``, or Langfuse's flat one
    (``{"message", "error": "<name>", "code", "details"}``) under /api/public."""
    body = response.json()
    error = body["error"]
    return dict(error) if isinstance(error, dict) else dict(body)


def send(client: TestClient, method: str, call: Call, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # an explicit empty Authorization header would override the client's default one
    return client.request(method, call.path, params=call.params, json=call.json, headers=headers)
