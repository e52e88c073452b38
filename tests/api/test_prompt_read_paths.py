"""``GET /prompts/{name}``: the fast path and the route share one Bearer parser, one project
resolver, one cache lookup and one set of headers, so they answer alike."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from promptyard.domain import DEFAULT_SLUG
from promptyard.server.api.v1.prompts import routes
from promptyard.server.deps import bearer_token
from promptyard.services.identity import projects
from tests.api._helpers import API, PROMPTS, ok

_VOLATILE = {"x-request-id", "date"}


def _headers(response: httpx.Response) -> dict[str, str]:
    return {key: value for key, value in response.headers.items() if key not in _VOLATILE}


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("BEARER abc", "abc"),
        ("Bearer", None),
        ("Bearer   ", None),
        ("Basic abc", None),
        ("", None),
    ],
)
def test_bearer_token(header: str, token: str | None) -> None:
    assert bearer_token(header) == token


def test_the_one_default_project() -> None:
    assert DEFAULT_SLUG == projects.DEFAULT_SLUG == "default"


def test_fast_path_answers_like_the_route(app_client: TestClient) -> None:
    ok(app_client.post(PROMPTS, json={"name": "old", "content": "Hi"}), 201)
    ok(app_client.post(f"{PROMPTS}/old/lifecycle", json={"state": "deprecated"}))
    for path in (f"{PROMPTS}/old", f"{PROMPTS}/old?project={DEFAULT_SLUG}"):
        route = app_client.get(path)  # the route (a miss fills the cache)
        assert route.status_code == 200
        assert route.headers["deprecation"] == "true"
        assert route.headers["etag"].startswith('"1-')
        fast = app_client.get(path)
        assert fast.status_code == 200
        assert fast.content == route.content
        assert _headers(fast) == _headers(route)


def test_cache_hits_skip_the_route(app_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    ok(app_client.post(PROMPTS, json={"name": "hot", "content": "Hi"}), 201)
    first = app_client.get(f"{PROMPTS}/hot?label=latest")  # the route fills the cache

    def refuse(*_args: object) -> None:
        raise AssertionError("the regular route answered a cache hit")

    monkeypatch.setattr(routes, "cached_prompt", refuse)
    hit = app_client.get(f"{PROMPTS}/hot?label=latest")  # only the fast path can answer
    assert hit.status_code == 200
    assert hit.content == first.content
    assert _headers(hit) == _headers(first)
    assert "deprecation" not in hit.headers
    assert app_client.get(f"{PROMPTS}/hot?label=production").status_code == 500  # a miss


def test_misses_fall_through_to_the_route(app_client: TestClient, anon_client: TestClient) -> None:
    ok(app_client.post(f"{API}/projects", json={"slug": "ops", "name": "Ops"}), 201)
    ok(app_client.post(f"{PROMPTS}?project=ops", json={"name": "p", "content": "ops"}), 201)
    ok(app_client.post(PROMPTS, json={"name": "p", "content": "default"}), 201)
    ok(app_client.get(f"{PROMPTS}/p"))  # caches the default project and its read
    ok(app_client.get(f"{PROMPTS}/p?project=ops"))
    scoped = ok(
        app_client.post(f"{API}/keys", json={"name": "ops", "role": "viewer", "project": "ops"}),
        201,
    )
    ops = {"Authorization": f"Bearer {scoped['key']}"}
    for _ in range(2):  # the second time, from the cache
        assert (
            anon_client.get(f"{PROMPTS}/p?project=ops", headers=ops).json()["version"]["content"]
            == "ops"
        )
        # a key scoped to another project: the cached default project is not its own
        assert anon_client.get(f"{PROMPTS}/p", headers=ops).status_code == 404
    basic = anon_client.get(f"{PROMPTS}/p", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401


def test_deprecation_comes_from_the_lifecycle_not_from_the_bytes(app_client: TestClient) -> None:
    """A prompt whose own metadata says ``"lifecycle": "deprecated"`` is not deprecated."""
    body = {"name": "look-alike", "content": "Hi", "metadata": {"lifecycle": "deprecated"}}
    ok(app_client.post(PROMPTS, json=body), 201)
    for _ in range(2):  # the route, then the fast path
        response = app_client.get(f"{PROMPTS}/look-alike")
        assert ok(response)["metadata"] == {"lifecycle": "deprecated"}
        assert "deprecation" not in response.headers
