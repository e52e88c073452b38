"""``If-None-Match`` on ``GET /api/v1/prompts/{name}``: 304 with the same ETag, through
the route (a cache miss) and through the read fast path (a hit)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from promptyard.server.api.v1.prompts.reads import etag_matches
from promptyard.services.context import Core


def test_etag_matching() -> None:
    tag = b'"3-0a1b2c"'
    assert etag_matches('"3-0a1b2c"', tag)
    assert etag_matches('W/"3-0a1b2c"', tag)
    assert etag_matches('"1-ffffff", "3-0a1b2c"', tag)
    assert etag_matches("*", tag)
    assert not etag_matches('"3"', tag)  # the version alone is not the answer
    assert not etag_matches('"3-0a1b2d"', tag)
    assert not etag_matches("3-0a1b2c", tag)
    assert not etag_matches("", tag)
    assert not etag_matches(None, tag)


def test_the_etag_changes_with_the_answer_not_only_the_version(app_client: TestClient) -> None:
    """Tags, labels and lifecycle change without a new version: a 304 must not hide them."""
    assert app_client.post("/api/v1/prompts", json={"name": "p", "content": "x"}).status_code == 201
    before = app_client.get("/api/v1/prompts/p")
    etag = before.headers["etag"]
    assert etag.startswith('"1-')
    assert app_client.patch("/api/v1/prompts/p", json={"tags": ["new"]}).is_success
    assert app_client.put("/api/v1/prompts/p/labels/staging", json={"version": 1}).is_success
    for _ in range(2):  # the route, then the fast path
        after = app_client.get("/api/v1/prompts/p", headers={"If-None-Match": etag})
        assert after.status_code == 200
        assert after.json()["tags"] == ["new"] and "staging" in after.json()["labels"]
        assert after.headers["etag"].startswith('"1-') and after.headers["etag"] != etag


def test_304_on_the_route_and_on_the_fast_path(core: Core, app_client: TestClient) -> None:
    assert app_client.post("/api/v1/prompts", json={"name": "p", "content": "x"}).status_code == 201
    core.cache.clear()
    # a miss: the route reads, answers 304 and fills the cache
    etag = app_client.get("/api/v1/prompts/p").headers["etag"]
    assert etag.startswith('"1-')
    core.cache.clear()
    first = app_client.get("/api/v1/prompts/p", headers={"If-None-Match": etag})
    assert first.status_code == 304, first.text
    assert first.headers["etag"] == etag
    assert first.content == b""
    assert len(core.cache) == 1
    # a hit: the fast path answers the same
    second = app_client.get("/api/v1/prompts/p", headers={"If-None-Match": etag})
    assert second.status_code == 304
    assert second.headers["etag"] == etag
    assert second.content == b""
    full = app_client.get("/api/v1/prompts/p")
    assert full.status_code == 200 and full.headers["etag"] == etag
    # a new version: the old ETag no longer matches, on either path
    assert app_client.patch("/api/v1/prompts/p", json={"content": "y"}).is_success
    for _ in range(2):
        changed = app_client.get("/api/v1/prompts/p", headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"].startswith('"2-')
        assert changed.json()["version"]["number"] == 2


def test_304_keeps_the_deprecation_header(core: Core, app_client: TestClient) -> None:
    assert app_client.post("/api/v1/prompts", json={"name": "p", "content": "x"}).status_code == 201
    moved = app_client.post("/api/v1/prompts/p/lifecycle", json={"state": "deprecated"})
    assert moved.is_success, moved.text
    etag = app_client.get("/api/v1/prompts/p").headers["etag"]
    core.cache.clear()
    for _ in range(2):  # route, then fast path
        got = app_client.get("/api/v1/prompts/p", headers={"If-None-Match": etag})
        assert got.status_code == 304
        assert got.headers.get("deprecation") == "true"
