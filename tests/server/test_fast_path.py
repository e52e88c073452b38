"""The cache-hit fast path answers exactly like the regular route, and is never stale."""

from __future__ import annotations

from fastapi.testclient import TestClient

from promptyard.services.context import Core


def _create(client: TestClient, name: str = "fast", content: str = "v1 {{ x }}") -> None:
    response = client.post("/api/v1/prompts", json={"name": name, "content": content})
    assert response.status_code == 201, response.text


def test_hit_returns_the_same_bytes_and_etag(app_client: TestClient, core: Core) -> None:
    _create(app_client)
    first = app_client.get("/api/v1/prompts/fast")  # miss: regular route fills the cache
    assert first.status_code == 200
    assert len(core.cache) >= 1
    second = app_client.get("/api/v1/prompts/fast")  # hit: answered by the fast path
    assert second.status_code == 200
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert first.headers["etag"].startswith('"1-')  # the version, then a digest of the answer
    assert second.headers["x-request-id"]


def test_write_invalidates_what_the_fast_path_serves(app_client: TestClient) -> None:
    _create(app_client)
    for _ in range(2):
        assert app_client.get("/api/v1/prompts/fast").json()["version"]["number"] == 1
    patched = app_client.patch("/api/v1/prompts/fast", json={"content": "v2 {{ x }}"})
    assert patched.status_code == 200
    after = app_client.get("/api/v1/prompts/fast")
    assert after.json()["version"]["content"] == "v2 {{ x }}"
    assert after.headers["etag"].startswith('"2-')
    label = app_client.put("/api/v1/prompts/fast/labels/production", json={"version": 1})
    assert label.status_code == 200
    assert app_client.get("/api/v1/prompts/fast?label=production").json()["version"]["number"] == 1
    app_client.put("/api/v1/prompts/fast/labels/production", json={"version": 2})
    assert app_client.get("/api/v1/prompts/fast?label=production").json()["version"]["number"] == 2
    assert app_client.delete("/api/v1/prompts/fast").status_code == 204
    assert app_client.get("/api/v1/prompts/fast").status_code == 404


def test_misses_and_bad_input_fall_through_to_the_route(
    app_client: TestClient, anon_client: TestClient
) -> None:
    _create(app_client)
    app_client.get("/api/v1/prompts/fast")
    # no credentials, wrong key, bad parameters: the regular route answers with its errors
    assert anon_client.get("/api/v1/prompts/fast").status_code == 401
    wrong = anon_client.get("/api/v1/prompts/fast", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert app_client.get("/api/v1/prompts/fast?version=0").status_code == 422
    assert app_client.get("/api/v1/prompts/fast?label=Bad!").status_code == 422
    unknown = app_client.get("/api/v1/prompts/fast?project=nowhere")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
