"""Stored embeddings: the background job writes one row per version and model (float32
bytes) on SQLite and PostgreSQL; a workspace may embed through a provider connection's
OpenAI-compatible ``/embeddings`` endpoint (a local server on 127.0.0.1) instead."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from promptyard.services.context import Core
from promptyard.services.quality import embeddings, vectors
from promptyard.store.models import SqlPrompt, SqlVersion, SqlVersionEmbedding
from promptyard.workers import build_runner
from promptyard.workers.jobs import SEMANTIC_EMBEDDINGS
from tests.runtime._wire import Reply, WireServer, wire_server

API = "/api/v1"
AVAILABLE, REASON = embeddings.availability()
needs_model = pytest.mark.skipif(not AVAILABLE, reason=REASON)


@pytest.fixture(scope="module")
def wire() -> Iterator[WireServer]:
    with wire_server() as server:
        yield server


@pytest.fixture
def semantic_core(core: Core, app_client: TestClient) -> Core:
    """Semantic search on; the app's own runner stopped, so each step runs here."""
    app_client.app.state.runner.stop()  # type: ignore[attr-defined]
    core.settings = core.settings.model_copy(update={"semantic_search": True})
    return core


def _rows(core: Core) -> list[tuple[str, int, str, int, bytes]]:
    with core.store.read() as session:
        return [
            (name, number, model, dims, vector)
            for name, number, model, dims, vector in session.execute(
                select(
                    SqlPrompt.name,
                    SqlVersion.number,
                    SqlVersionEmbedding.model,
                    SqlVersionEmbedding.dimensions,
                    SqlVersionEmbedding.vector,
                )
                .join(SqlVersion, SqlVersion.id == SqlVersionEmbedding.version_id)
                .join(SqlPrompt, SqlPrompt.id == SqlVersion.prompt_id)
                .order_by(SqlPrompt.name, SqlVersion.number)
            )
        ]


@needs_model
def test_every_version_is_embedded_and_stored(semantic_core: Core, app_client: TestClient) -> None:
    core = semantic_core
    for name, text in {
        "ticket-digest": "Summarise the support ticket for an engineer.",
        "haiku": "Write a haiku about autumn leaves.",
    }.items():
        assert (
            app_client.post(f"{API}/prompts", json={"name": name, "content": text}).status_code
            == 201
        )
    patched = app_client.patch(f"{API}/prompts/haiku", json={"content": "Write a limerick."})
    assert patched.status_code == 200
    runner = build_runner(core)
    assert runner.run_once(SEMANTIC_EMBEDDINGS) == 3  # every version, not only the latest
    assert runner.run_once(SEMANTIC_EMBEDDINGS) == 0
    rows = _rows(core)
    assert [(r[0], r[1]) for r in rows] == [("haiku", 1), ("haiku", 2), ("ticket-digest", 1)]
    assert {r[2] for r in rows} == {embeddings.LOCAL_MODEL} and {r[3] for r in rows} == {384}
    stored = np.frombuffer(rows[2][4], dtype="<f4")
    assert stored.shape == (384,) and abs(float(np.linalg.norm(stored)) - 1) < 1e-4
    # the stored vector is the model's vector of that version's document
    again = embeddings.Embedder().embed(
        [embeddings.document("ticket-digest", "Summarise the support ticket for an engineer.")]
    )[0]
    assert float(stored @ again) > 0.999
    status = app_client.get(f"{API}/semantic-search/status").json()
    assert (status["indexed"], status["pending"]) == (2, 0)
    assert status["search"].startswith("exact, in memory")
    # a prompt deleted leaves the search at once (its rows stay with its versions)
    assert app_client.delete(f"{API}/prompts/haiku").status_code in (200, 204)
    hits = app_client.get(f"{API}/semantic-search", params={"q": "poem"}).json()
    assert [h["name"] for h in hits["items"]] == ["ticket-digest"]


def test_pgvector_is_detected_at_run_time(core: Core) -> None:
    # neither database here has the extension installed; the exact path serves both
    installed = vectors.pgvector_installed(core)
    if core.store.dialect == "sqlite":
        assert installed is False
    assert ("pgvector is installed" in vectors.search_method(core)) is installed


def _embedding_reply(*rows: list[float]) -> Reply:
    return Reply(
        body={
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": row} for i, row in enumerate(rows)
            ],
            "model": "text-embed-small",
            "usage": {"prompt_tokens": 3, "total_tokens": 3},
        }
    )


def test_a_provider_connection_embeds_instead_of_the_local_model(
    semantic_core: Core, app_client: TestClient, wire: WireServer
) -> None:
    core = semantic_core
    wire.app.reset()
    made = app_client.post(
        f"{API}/providers",
        json={
            "name": "embedder",
            "kind": "openai",
            "base_url": f"{wire.url}/v1",
            "api_key": "sk-test-embed-0123456789",
        },
    )
    assert made.status_code == 201, made.text
    assert app_client.get(f"{API}/semantic-search/source").json()["kind"] == "local"
    unknown = app_client.put(
        f"{API}/semantic-search/source", json={"connection": "nope", "model": "m"}
    )
    assert unknown.status_code == 404
    source = app_client.put(
        f"{API}/semantic-search/source",
        json={"connection": "embedder", "model": "text-embed-small"},
    )
    assert source.status_code == 200, source.text
    assert source.json() | {"updated_at": None} == {
        "kind": "provider",
        "connection": "embedder",
        "model": "embedder/text-embed-small",
        "updated_by": source.json()["updated_by"],
        "updated_at": None,
    }
    for name in ("alpha", "beta", "gamma"):
        text = f"Prompt {name}."
        assert (
            app_client.post(f"{API}/prompts", json={"name": name, "content": text}).status_code
            == 201
        )
    # the job embeds newest first: gamma, beta, alpha
    wire.app.add("/v1/embeddings", _embedding_reply([0, 0, 2], [0, 3, 0], [1, 0, 0]))
    assert build_runner(core).run_once(SEMANTIC_EMBEDDINGS) == 3
    [call] = wire.app.seen("/v1/embeddings")
    assert call.body["model"] == "text-embed-small"
    assert call.body["input"] == [
        "gamma\nPrompt gamma.",
        "beta\nPrompt beta.",
        "alpha\nPrompt alpha.",
    ]
    assert call.headers["authorization"] == "Bearer sk-test-embed-0123456789"
    rows = _rows(core)
    assert {r[2] for r in rows} == {"embedder/text-embed-small"} and {r[3] for r in rows} == {3}
    assert np.frombuffer(rows[1][4], dtype="<f4").tolist() == [0.0, 1.0, 0.0]  # normalised

    wire.app.add("/v1/embeddings", _embedding_reply([0.1, 0.9, 0.2]))
    found = app_client.get(f"{API}/semantic-search", params={"q": "which one", "limit": 2})
    assert found.status_code == 200, found.text
    body = found.json()
    assert [h["name"] for h in body["items"]] == ["beta", "gamma"]
    assert body["model"] == "text-embed-small (provider connection 'embedder')"
    assert body["items"][0]["score"] == pytest.approx(0.9 / np.sqrt(0.86), abs=1e-3)

    # the endpoint failing is a clear 409, never a 500
    wire.app.add("/v1/embeddings", Reply(status=500, body={"error": {"message": "down"}}))
    failed = app_client.get(f"{API}/semantic-search", params={"q": "x"})
    assert failed.status_code == 409 and "embeddings endpoint failed" in failed.text
    # back to the local model: its rows are another model's, so nothing is indexed yet
    reset = app_client.delete(f"{API}/semantic-search/source")
    assert reset.json()["kind"] == "local"
    if AVAILABLE:
        assert app_client.get(f"{API}/semantic-search/status").json()["pending"] == 3


def test_source_needs_the_manage_permission(core: Core, app_client: TestClient) -> None:
    from tests.security._setup import add_key, default_workspace_id

    viewer = add_key(core, role="viewer", workspace_id=default_workspace_id(core), name="v")
    headers = {"Authorization": f"Bearer {viewer}"}
    assert app_client.get(f"{API}/semantic-search/source", headers=headers).status_code == 200
    body = {"connection": "x", "model": "m"}
    put = app_client.put(f"{API}/semantic-search/source", json=body, headers=headers)
    assert put.status_code == 403
    assert app_client.put(f"{API}/semantic-search/source", json={"model": "m"}).status_code == 422
