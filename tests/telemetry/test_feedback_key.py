"""The write-only feedback key: it posts end users' feedback from an app's page (text/plain,
any origin, rate-limited) and can do nothing else; ``/feedback.js`` is served."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.api._helpers import API, error, ok
from tests.security._setup import add_key, default_workspace_id

PUBLIC = f"{API}/analytics/feedback/public"


def feedback_key(client: TestClient, **extra: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(f"{API}/keys", json={"name": "web", "kind": "feedback", **extra}), 201
    )
    return created


def post_page(client: TestClient, body: dict[str, Any], **headers: str) -> Any:
    return client.post(
        PUBLIC,
        content=json.dumps(body),
        headers={"Content-Type": "text/plain;charset=UTF-8", "Authorization": "", **headers},
    )


def test_a_feedback_key_posts_feedback_from_a_page_and_nothing_else(
    app_client: TestClient,
) -> None:
    ok(app_client.post(f"{API}/generations/batch", json={"generations": [{"id": "g-1"}]}))
    created = feedback_key(app_client)
    assert created["key"].startswith("pyfb_") and created["kind"] == "feedback"
    assert created["project"] == "default"
    body = {"key": created["key"], "generation_id": "g-1", "kind": "thumbs", "value": 0}
    response = post_page(
        app_client, {**body, "comment": "wrong size"}, Origin="https://shop.example"
    )
    stored = ok(response, 201)
    assert response.headers["access-control-allow-origin"] == "*"
    assert (stored["source"], stored["created_by"], stored["comment"]) == (
        "page",
        "key:web",
        "wrong size",
    )
    assert ok(app_client.get(f"{API}/generations/g-1"))["feedback"][0]["id"] == stored["id"]
    # It is no API key: it reads nothing, writes nothing else, signs in nowhere.
    as_key = {"Authorization": f"Bearer {created['key']}"}
    for method, path in (("GET", f"{API}/prompts"), ("GET", f"{API}/generations")):
        err = error(app_client.request(method, path, headers=as_key), 401)
        assert "feedback key" in err["message"]
    err = error(
        app_client.post(
            f"{API}/analytics/feedback",
            json={"generation_id": "g-1", "kind": "thumbs", "value": 1},
            headers=as_key,
        ),
        401,
    )
    assert "feedback key" in err["message"]


def test_bad_keys_bad_bodies_and_unknown_generations_are_refused(app_client: TestClient) -> None:
    ok(app_client.post(f"{API}/generations/batch", json={"generations": [{"id": "g-1"}]}))
    key = feedback_key(app_client)
    body = {"key": key["key"], "generation_id": "g-1", "kind": "thumbs", "value": 1}
    error(post_page(app_client, {**body, "key": "pyfb_wrong_wrong_wrong"}), 401)
    error(post_page(app_client, {**body, "generation_id": "nope"}), 404)
    error(post_page(app_client, {**body, "value": 3}), 422)
    err = error(
        app_client.post(PUBLIC, content=b"{not json", headers={"Content-Type": "text/plain"}),
        422,
    )
    assert "not JSON" in err["message"]
    api_key = ok(app_client.post(f"{API}/keys", json={"name": "plain"}), 201)["key"]
    error(post_page(app_client, {**body, "key": api_key}), 401)  # an API key is no feedback key
    ok(app_client.delete(f"{API}/keys/{key['id']}"), 204)
    error(post_page(app_client, body), 401)


def test_one_client_is_rate_limited(app_client: TestClient) -> None:
    ok(app_client.post(f"{API}/generations/batch", json={"generations": [{"id": "g-1"}]}))
    body = {"key": feedback_key(app_client)["key"], "generation_id": "g-1", "kind": "thumbs"}
    statuses = [post_page(app_client, {**body, "value": 1}).status_code for _ in range(61)]
    assert statuses[:60] == [201] * 60 or statuses.count(429) >= 1
    limited = post_page(app_client, {**body, "value": 1})
    err = error(limited, 429)
    assert int(limited.headers["retry-after"]) >= 1 and "try again" in err["message"]


def test_only_who_collects_feedback_can_make_a_feedback_key(
    app_client: TestClient, core: Core
) -> None:
    viewer = add_key(core, role="viewer", workspace_id=default_workspace_id(core), name="v")
    err = error(
        app_client.post(
            f"{API}/keys",
            json={"name": "web", "kind": "feedback"},
            headers={"Authorization": f"Bearer {viewer}"},
        ),
        403,
    )
    assert "feedback:write" in err["message"]


def test_the_script_is_served(anon_client: TestClient) -> None:
    response = anon_client.get("/feedback.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "/api/v1/analytics/feedback/public" in response.text
    assert "promptyardFeedback" in response.text
