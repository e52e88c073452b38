"""The original specification's routes (prompts by numeric id) and the OpenAPI document."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.api._helpers import API, PROMPTS, create, error, get, new_project, ok, snapshot

TEMPLATES = f"{PROMPTS}/templates"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_list_and_create_through_original_routes(app_client: TestClient) -> None:
    created = ok(
        app_client.post(
            TEMPLATES,
            json={"name": "orig", "content": "Hi {{ x }}", "tags": ["o"], "config": {"model": "m"}},
        ),
        201,
    )
    assert created["name"] == "orig" and created["version"]["number"] == 1
    assert isinstance(created["id"], int)
    create(app_client, "second", "two")
    listed = ok(app_client.get(TEMPLATES))
    assert {p["name"] for p in listed["items"]} == {"orig", "second"}
    assert listed["total"] == 2
    page = ok(app_client.get(TEMPLATES, params={"limit": 1, "q": "orig"}))
    assert [p["name"] for p in page["items"]] == ["orig"]
    # The name-based route sees the same prompt, so "templates" is no prompt name.
    assert ok(get(app_client, "orig"))["id"] == created["id"]
    error(app_client.post(PROMPTS, json={"name": "templates", "content": "x"}), 422)
    error(app_client.post(TEMPLATES, json={"name": "orig", "content": "x"}), 409, "already_exists")

    new_project(app_client, "other")
    in_other = ok(
        app_client.post(TEMPLATES, params={"project": "other"}, json={"name": "o", "content": "x"}),
        201,
    )
    assert in_other["project"] == "other"
    assert [
        p["name"] for p in ok(app_client.get(TEMPLATES, params={"project": "other"}))["items"]
    ] == ["o"]


def test_put_by_id_with_if_match_and_versions(app_client: TestClient, core: Core) -> None:
    prompt_id = create(app_client, "byid", "one")["id"]
    updated = ok(
        app_client.put(
            f"{TEMPLATES}/{prompt_id}",
            json={"content": "two", "commit_message": "via put"},
            headers={"If-Match": '"1"'},
        )
    )
    assert updated["version"]["number"] == 2 and updated["version"]["message"] == "via put"
    ok(app_client.put(f"{TEMPLATES}/{prompt_id}", json={"content": "three", "base_version": 2}))

    state = snapshot(core)
    err = error(
        app_client.put(
            f"{TEMPLATES}/{prompt_id}", json={"content": "stale"}, headers={"If-Match": '"1"'}
        ),
        409,
        "stale_version",
    )
    assert err["details"]["current"] == 3
    assert snapshot(core) == state

    listed = ok(app_client.get(f"{TEMPLATES}/{prompt_id}/versions"))
    assert listed["total"] == 3
    assert [v["content"] for v in listed["items"]] == ["three", "two", "one"]
    assert ok(get(app_client, "byid"))["version"]["content"] == "three"

    error(app_client.put(f"{TEMPLATES}/99999", json={"content": "x"}), 404, "not_found")
    error(app_client.get(f"{TEMPLATES}/99999/versions"), 404, "not_found")
    error(app_client.put(f"{TEMPLATES}/0", json={"content": "x"}), 422)
    error(app_client.put(f"{TEMPLATES}/abc", json={"content": "x"}), 422)
    error(app_client.put(f"{TEMPLATES}/{prompt_id}", json={"content": "x", "bogus": 1}), 422)


def _documented_routes() -> set[tuple[str, str]]:
    routes: set[tuple[str, str]] = set()
    pattern = re.compile(
        r"`((?:GET|POST|PUT|PATCH|DELETE)(?:\|(?:GET|POST|PUT|PATCH|DELETE))*) (/[^`?\s]*)"
    )
    for methods, path in pattern.findall(DOCS.read_text()):
        if path in ("/healthz", "/readyz", "/metrics", "/mcp", "/v1/traces") or path.startswith(
            (API, "/api/public/")
        ):
            full = path
        else:
            full = API + path
        full = re.sub(r"\{[^}]+\}", "{}", full)
        for method in methods.split("|"):
            routes.add((method.lower(), full))
    return routes


def test_openapi_lists_every_documented_route(app_client: TestClient) -> None:
    spec = ok(app_client.get("/openapi.json"))
    served = {
        (method, re.sub(r"\{[^}]+\}", "{}", path))
        for path, operations in spec["paths"].items()
        for method in operations
    }
    documented = _documented_routes()
    assert len(documented) >= 30
    assert ("get", f"{API}/prompts/templates") in documented
    assert ("put", f"{API}/prompts/templates/{{}}") in documented
    missing = sorted(documented - served)
    assert missing == []


def test_execute_runs_stored_and_unsaved_prompts_on_the_fake_model(app_client: TestClient) -> None:
    create(app_client, "run", "Hello {{ name }} how are you")
    ok(app_client.post(f"{PROMPTS}/run/rollback", json={"version": 1}))
    result = ok(
        app_client.post(
            f"{PROMPTS}/execute",
            json={"model": "fake/echo", "prompt": "run", "variables": {"name": "Al"}},
        )
    )
    assert result["output"] == result["rendered"] == "Hello Al how are you"
    assert (result["model"], result["provider"]) == ("fake/echo", "fake")
    usage = result["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_tokens"] == 5
    chat = ok(
        app_client.post(
            f"{PROMPTS}/execute",
            json={
                "model": "fake/echo",
                "type": "chat",
                "content": [{"role": "user", "content": "hi {{ x }}"}],
                "variables": {"x": 1},
            },
        )
    )
    assert chat["rendered"] == [{"role": "user", "content": "hi 1"}]
    error(
        app_client.post(f"{PROMPTS}/execute", json={"model": "fake/echo", "prompt": "run"}),
        422,
        "missing_variables",
    )
    error(app_client.post(f"{PROMPTS}/execute", json={"model": "no/such", "prompt": "run"}), 422)
    error(
        app_client.post(f"{PROMPTS}/execute", json={"model": "fake/echo", "prompt": "zz"}),
        404,
        "not_found",
    )
