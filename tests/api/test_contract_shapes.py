"""Every answer has exactly the fields docs/api.md promises (clients are written against it)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api._helpers import API, PROMPTS, create, ok, patch, set_label

PROMPT_KEYS = {
    "id",
    "lifecycle",
    "project",
    "name",
    "folder",
    "type",
    "description",
    "tags",
    "metadata",
    "latest_version",
    "labels",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "deleted_at",
    "version",
}
VERSION_KEYS = {
    "number",
    "branch",
    "type",
    "content",
    "config",
    "variables",
    "references",
    "content_hash",
    "parent",
    "merge_parent",
    "message",
    "author",
    "created_at",
    "labels",
}
LABEL_KEYS = {"name", "version", "updated_at", "updated_by"}
EVENT_KEYS = {"label", "from_version", "to_version", "actor", "created_at"}
BRANCH_KEYS = {"name", "head", "base", "created_at", "created_by", "merged_at"}
DIFF_KEYS = {"from", "to", "type_changed", "spans", "unified", "messages", "config", "stats"}


def _keys(body: dict[str, Any]) -> set[str]:
    assert isinstance(body, dict), body
    return set(body)


def test_response_shapes_match_the_contract(app_client: TestClient) -> None:
    created = create(app_client, "shape", "Hi {{ who }}")
    assert _keys(created) == PROMPT_KEYS
    assert _keys(created["version"]) == VERSION_KEYS
    assert created["version"]["variables"] == [{"name": "who", "required": True}]
    updated = ok(patch(app_client, "shape", content="Hello {{ who }}"))
    assert _keys(updated) == PROMPT_KEYS and _keys(updated["version"]) == VERSION_KEYS
    assert _keys(ok(app_client.get(f"{PROMPTS}/shape"))) == PROMPT_KEYS

    listed = ok(app_client.get(PROMPTS))
    assert _keys(listed) == {"items", "total", "limit", "offset"}
    assert _keys(listed["items"][0]) <= PROMPT_KEYS
    assert PROMPT_KEYS - _keys(listed["items"][0]) <= {"version"}
    versions = ok(app_client.get(f"{PROMPTS}/shape/versions"))
    assert _keys(versions) == {"items", "total"}
    assert all(_keys(v) == VERSION_KEYS for v in versions["items"])
    assert _keys(ok(app_client.get(f"{PROMPTS}/shape/versions/1"))) == VERSION_KEYS

    assert _keys(ok(set_label(app_client, "shape", "production", 1))) == LABEL_KEYS
    labels = ok(app_client.get(f"{PROMPTS}/shape/labels"))
    assert _keys(labels) == {"items"} and all(_keys(x) == LABEL_KEYS for x in labels["items"])
    events = ok(app_client.get(f"{PROMPTS}/shape/label-events"))
    assert _keys(events) == {"items"} and all(_keys(x) == EVENT_KEYS for x in events["items"])
    branch = ok(
        app_client.post(f"{PROMPTS}/shape/branches", json={"name": "b", "from_version": 1}), 201
    )
    assert _keys(branch) == BRANCH_KEYS
    branches = ok(app_client.get(f"{PROMPTS}/shape/branches"))
    assert _keys(branches) == {"items"} and all(_keys(x) == BRANCH_KEYS for x in branches["items"])

    diff = ok(app_client.get(f"{PROMPTS}/shape/diff", params={"from": 1, "to": 2}))
    assert _keys(diff) == DIFF_KEYS
    assert _keys(diff["stats"]) == {"insertions", "deletions"}
    assert all(_keys(span) == {"op", "text"} for span in diff["spans"])
    rendered = ok(app_client.post(f"{PROMPTS}/shape/render", json={"variables": {"who": "x"}}))
    assert _keys(rendered) == {"type", "rendered", "version"}
    unsaved = ok(app_client.post(f"{API}/templates/render", json={"content": "x"}))
    assert _keys(unsaved) == {"type", "rendered"}
    check = ok(app_client.post(f"{API}/templates/validate", json={"content": "{{ a }"}))
    assert _keys(check) == {"valid", "variables", "references", "errors"}
    assert _keys(check["errors"][0]) == {"field", "line", "column", "message"}

    bulk = ok(app_client.post(f"{PROMPTS}/bulk", json={"action": "delete", "names": ["shape"]}))
    assert bulk == {"updated": 1}
    folders = ok(app_client.get(f"{API}/folders"))
    tags = ok(app_client.get(f"{API}/tags"))
    assert _keys(folders) == {"items"} and _keys(tags) == {"items"}
    projects = ok(app_client.get(f"{API}/projects"))
    assert _keys(projects) == {"items"}
    assert _keys(projects["items"][0]) == {"slug", "name", "prompt_count", "created_at"}


def test_me_names_the_actor_and_the_workspace(app_client: TestClient) -> None:
    me = ok(app_client.get(f"{API}/auth/me"))
    assert _keys(me) == {"actor", "workspace"}
    assert _keys(me["actor"]) == {
        "type",
        "id",
        "name",
        "role",
        "instance_admin",
        "permissions",
        "project_permissions",
    }
    assert me["actor"]["project_permissions"] is None  # only with ?project=
    scoped = ok(app_client.get(f"{API}/auth/me", params={"project": "default"}))["actor"]
    assert scoped["project_permissions"] == scoped["permissions"]  # no narrowing membership
    assert me["actor"]["name"] == "key:bootstrap-admin"
    # What the actor may do, sorted: an admin key has every workspace permission and,
    # as the operator's key, account:manage too.
    permissions = me["actor"]["permissions"]
    assert permissions == sorted(permissions)
    assert {"prompt:read", "prompt:write", "member:manage", "account:manage"} <= set(permissions)
    assert me["actor"]["instance_admin"] is True  # the operator's PROMPTYARD_INIT_API_KEY
    assert _keys(me["workspace"]) == {"slug", "name"}
    assert me["workspace"]["slug"] == "default" and me["workspace"]["name"]
