"""Create, read, update, soft-delete and restore text and chat prompts, in two projects."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api._helpers import (
    KEY_AUTHOR,
    PROMPTS,
    create,
    error,
    get,
    new_project,
    ok,
    patch,
    url,
)

API_FOLDERS = "/api/v1/folders"
API_TAGS = "/api/v1/tags"
CONFIG = {
    "model": "gpt-4o",
    "temperature": 0.3,
    "max_tokens": 512,
    "top_p": 0.9,
    "stop": ["###", "END"],
    "provider_options": {"seed": 7, "response_format": {"type": "json_object"}},
    "frequency_penalty": 0.5,
    "vendor_flags": ["a", "b"],
}
CHAT = [
    {"role": "system", "content": "You are {{ persona }}."},
    {"role": "user", "content": "Hi, I am {{ user }}", "name": "customer"},
    {"type": "placeholder", "name": "history"},
    {"role": "assistant", "content": "Hello!"},
]


def _check_created(
    body: dict[str, Any], *, project: str, name: str, type_: str, content: Any
) -> None:
    assert body["project"] == project
    assert body["name"] == name
    assert body["type"] == type_
    assert body["folder"] == "support/email"
    assert body["tags"] == ["cx", "email"]
    assert body["description"] == "Greets a customer"
    assert body["metadata"] == {"owner": "cx", "nested": {"n": 1, "list": [1, "x"]}}
    assert body["latest_version"] == 1
    assert body["labels"] == {"latest": 1}
    assert body["created_by"] == body["updated_by"] == KEY_AUTHOR
    assert body["deleted_at"] is None
    version = body["version"]
    assert version["number"] == 1
    assert version["branch"] == "main"
    assert version["type"] == type_
    assert version["content"] == content
    assert version["config"] == CONFIG
    assert version["parent"] is None and version["merge_parent"] is None
    assert version["author"] == KEY_AUTHOR
    assert version["message"] == "first"
    assert version["content_hash"].startswith("sha256:") and len(version["content_hash"]) == 71
    assert version["labels"] == ["latest"]


@pytest.mark.parametrize("project", ["default", "second"])
@pytest.mark.parametrize(
    ("type_", "content", "variables"),
    [
        (
            "text",
            "Dear {{ name }}, {{ sign | default('the team') }}",
            {"name": True, "sign": False},
        ),
        ("chat", CHAT, {"persona": True, "user": True, "history": True}),
    ],
)
def test_create_read_update_in_a_project(
    app_client: TestClient, project: str, type_: str, content: Any, variables: dict[str, bool]
) -> None:
    if project != "default":
        new_project(app_client, project, "Second project")
    body = create(
        app_client,
        "welcome",
        content,
        type=type_,
        project=project,
        folder="/support//email/",
        tags=["cx", "email", "cx"],
        description="Greets a customer",
        metadata={"owner": "cx", "nested": {"n": 1, "list": [1, "x"]}},
        config=CONFIG,
        commit_message="first",
    )
    _check_created(body, project=project, name="welcome", type_=type_, content=content)
    assert {v["name"]: v["required"] for v in body["version"]["variables"]} == variables

    fetched = ok(get(app_client, "welcome", project=project))
    assert fetched == body
    listed = ok(app_client.get(url(PROMPTS, project)))
    assert [item["name"] for item in listed["items"]] == ["welcome"]
    assert "version" not in listed["items"][0] or listed["items"][0]["version"] is None

    # The other project does not see it.
    other = "second" if project == "default" else "default"
    if other == "second":
        new_project(app_client, other)
    error(get(app_client, "welcome", project=other), 404, "not_found")

    new_content = (
        "Dear {{ name }}!" if type_ == "text" else [{"role": "system", "content": "Be brief."}]
    )
    updated = ok(
        patch(
            app_client,
            "welcome",
            project=project,
            content=new_content,
            description="Shorter",
            tags=["email"],
            folder="support",
            metadata={"owner": "sales"},
            commit_message="shorter",
        )
    )
    assert updated["latest_version"] == 2
    assert updated["version"]["content"] == new_content
    assert updated["version"]["config"] == CONFIG  # config carried over when not sent
    assert updated["version"]["parent"] == 1
    assert updated["version"]["message"] == "shorter"
    assert (updated["description"], updated["tags"], updated["folder"]) == (
        "Shorter",
        ["email"],
        "support",
    )
    assert updated["metadata"] == {"owner": "sales"}
    again = ok(get(app_client, "welcome", project=project))
    assert again["version"]["number"] == 2
    assert again["metadata"] == {"owner": "sales"}
    first = ok(get(app_client, "welcome", project=project, version=1))
    assert first["version"]["content"] == content


def test_config_keeps_unknown_keys_and_is_replaced_whole(app_client: TestClient) -> None:
    create(app_client, "cfg", "x", config=CONFIG)
    body = ok(patch(app_client, "cfg", config={"model": "claude", "extra_thing": {"a": [1]}}))
    assert body["version"]["number"] == 2
    assert body["version"]["config"] == {"model": "claude", "extra_thing": {"a": [1]}}
    assert ok(get(app_client, "cfg", version=1))["version"]["config"] == CONFIG


def test_type_change_needs_content_of_the_new_type(app_client: TestClient) -> None:
    create(app_client, "shape", "plain text")
    error(patch(app_client, "shape", type="chat"), 422, "validation_error")
    error(patch(app_client, "shape", type="chat", content="still text"), 422)
    body = ok(patch(app_client, "shape", type="chat", content=[{"role": "user", "content": "q"}]))
    assert body["type"] == "chat"
    assert body["version"]["type"] == "chat"
    assert body["version"]["number"] == 2
    assert ok(get(app_client, "shape", version=1))["version"]["type"] == "text"


def test_soft_delete_and_restore(app_client: TestClient) -> None:
    create(app_client, "gone", "bye {{ who }}", tags=["t"], folder="f")
    ok(patch(app_client, "gone", content="bye bye {{ who }}"))
    ok(app_client.delete(f"{PROMPTS}/gone"), 204)

    err = error(get(app_client, "gone"), 404, "not_found")
    assert "gone" in err["message"]
    error(get(app_client, "gone", version=1), 404, "not_found")
    error(patch(app_client, "gone", content="x"), 404, "not_found")
    error(app_client.delete(f"{PROMPTS}/gone"), 404, "not_found")
    assert ok(app_client.get(PROMPTS))["total"] == 0
    only = ok(app_client.get(PROMPTS, params={"deleted": "only"}))
    assert [item["name"] for item in only["items"]] == ["gone"]
    assert only["items"][0]["deleted_at"] is not None
    assert ok(app_client.get(f"{API_FOLDERS}"))["items"] == []
    assert ok(app_client.get(f"{API_TAGS}"))["items"] == []

    # Re-creating a deleted name is refused, and the message says why.
    err = error(app_client.post(PROMPTS, json={"name": "gone", "content": "new"}), 409)
    assert err["code"] == "already_exists"
    assert "deleted" in err["message"] and "restore" in err["message"]

    restored = ok(app_client.post(f"{PROMPTS}/gone/restore"))
    assert restored["deleted_at"] is None
    assert restored["latest_version"] == 2
    assert restored["version"]["content"] == "bye bye {{ who }}"
    assert restored["tags"] == ["t"] and restored["folder"] == "f"
    assert ok(get(app_client, "gone"))["version"]["number"] == 2
    assert len(ok(app_client.get(f"{PROMPTS}/gone/versions"))["items"]) == 2
    # Restoring a live prompt is a conflict, not a silent success.
    error(app_client.post(f"{PROMPTS}/gone/restore"), 409)
    error(app_client.post(f"{PROMPTS}/never/restore"), 404, "not_found")


def test_duplicate_name_is_409_but_same_name_in_other_project_is_fine(
    app_client: TestClient,
) -> None:
    create(app_client, "twin", "default project")
    err = error(app_client.post(PROMPTS, json={"name": "twin", "content": "again"}), 409)
    assert err["code"] == "already_exists"
    new_project(app_client, "other")
    body = create(app_client, "twin", "other project", project="other")
    assert body["project"] == "other"
    assert ok(get(app_client, "twin"))["version"]["content"] == "default project"
    assert ok(get(app_client, "twin", project="other"))["version"]["content"] == "other project"
    ok(patch(app_client, "twin", project="other", content="other v2"))
    assert ok(get(app_client, "twin"))["latest_version"] == 1
    projects = ok(app_client.get("/api/v1/projects"))["items"]
    counts = {p["slug"]: p["prompt_count"] for p in projects}
    assert counts == {"default": 1, "other": 1}


def test_projects_create_and_errors(app_client: TestClient) -> None:
    project = new_project(app_client, "team-a", "Team A")
    assert project["slug"] == "team-a" and project["name"] == "Team A"
    assert project["prompt_count"] == 0
    error(app_client.post("/api/v1/projects", json={"slug": "team-a", "name": "x"}), 409)
    error(app_client.post("/api/v1/projects", json={"slug": "Bad Slug", "name": "x"}), 422)
    error(get(app_client, "anything", project="missing-project"), 404, "not_found")
    error(app_client.get(PROMPTS, params={"project": "NOT A SLUG"}), 422, "validation_error")
