"""Clusters of the library: k-means on stored embeddings (the real local model), or word
shingles (MinHash) without embeddings; each cluster labelled by its distinctive words."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from promptyard.services.context import Core
from promptyard.services.quality import embeddings
from promptyard.workers import build_runner
from promptyard.workers.jobs import SEMANTIC_EMBEDDINGS

API = "/api/v1"
P = {"project": "default"}
AVAILABLE, REASON = embeddings.availability()

TICKET = (
    "You triage customer support tickets. Read the ticket below, decide its priority "
    "(low, normal, urgent) and the team that owns it, and answer in JSON."
)
SQL = (
    "You write PostgreSQL queries for analysts. Given the schema of the warehouse tables "
    "and a question, answer with one SELECT statement and nothing else."
)


def _create(client: TestClient, prompts: dict[str, str]) -> None:
    for name, content in prompts.items():
        made = client.post(f"{API}/prompts", json={"name": name, "content": content})
        assert made.status_code == 201, made.text


def test_lexical_clusters_without_embeddings(app_client: TestClient) -> None:
    _create(
        app_client,
        {
            "ticket-a": f"{TICKET}\n<ticket>{{{{ ticket }}}}</ticket>",
            "ticket-b": f"{TICKET} Be brief.\n<ticket>{{{{ body }}}}</ticket>",
            "ticket-c": f"Support desk. {TICKET}",
            "sql-a": f"{SQL}\nQuestion: {{{{ question }}}}",
            "sql-b": f"{SQL} Use CTEs.\nQuestion: {{{{ q }}}}",
            "haiku": "Write a haiku about autumn leaves in the mountains.",
        },
    )
    response = app_client.get(f"{API}/quality/clusters", params=P)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "minhash-lexical" and body["model"] is None
    assert "PROMPTYARD_SEMANTIC_SEARCH" in body["fallback_reason"]
    assert body["prompts"] == 6 and body["unclustered"] == ["haiku"]
    first, second = body["clusters"]
    assert [m["name"] for m in first["members"]] == ["ticket-a", "ticket-b", "ticket-c"]
    assert [m["name"] for m in second["members"]] == ["sql-a", "sql-b"]
    assert first["size"] == 3 and len(first["terms"]) == 3
    # distinctive words of each family, not the words every prompt shares
    assert set(first["terms"]) <= set(re.findall(r"[a-z]+", TICKET.lower()))
    assert {"ticket", "support", "triage", "priority", "customer"} & set(first["terms"])
    assert {"postgresql", "queries", "analysts", "schema", "select", "warehouse"} & set(
        second["terms"]
    )
    assert first["label"] == " · ".join(first["terms"])


def test_clusters_input_errors(app_client: TestClient) -> None:
    assert app_client.get(f"{API}/quality/clusters", params={**P, "k": 1}).status_code == 422
    assert app_client.get(f"{API}/quality/clusters", params={**P, "k": 51}).status_code == 422
    bad = app_client.get(f"{API}/quality/clusters", params={**P, "method": "magic"})
    assert bad.status_code == 422
    forced = app_client.get(f"{API}/quality/clusters", params={**P, "method": "embeddings"})
    assert forced.status_code == 409
    assert forced.json()["error"]["code"] == "semantic_unavailable"
    empty = app_client.get(f"{API}/quality/clusters", params=P).json()
    assert empty["clusters"] == [] and empty["prompts"] == 0


@pytest.mark.skipif(not AVAILABLE, reason=REASON)
def test_clusters_by_meaning_with_stored_embeddings(core: Core, app_client: TestClient) -> None:
    app_client.app.state.runner.stop()  # type: ignore[attr-defined]
    core.settings = core.settings.model_copy(update={"semantic_search": True})
    # the same two topics in different words: no shared shingles within a topic
    _create(
        app_client,
        {
            "refund-mail": "Draft a polite email refusing a customer's refund request.",
            "complaint-reply": "Answer an angry shopper who complains that the parcel is late.",
            "support-apology": "Write an apology to a client whose order arrived broken.",
            "sql-report": "Write a PostgreSQL query that sums revenue per month.",
            "db-join": "Produce SQL joining the orders and customers tables by id.",
            "query-index": "Suggest database indexes that speed up this slow SELECT.",
        },
    )
    assert build_runner(core).run_once(SEMANTIC_EMBEDDINGS) == 6
    body = app_client.get(f"{API}/quality/clusters", params={**P, "k": 2}).json()
    assert body["method"] == "kmeans-embeddings" and "MiniLM" in body["model"]
    groups = sorted(sorted(m["name"] for m in c["members"]) for c in body["clusters"])
    assert groups == [
        ["complaint-reply", "refund-mail", "support-apology"],
        ["db-join", "query-index", "sql-report"],
    ]
    assert body["unclustered"] == [] and all(c["label"] for c in body["clusters"])
    lexical = app_client.get(f"{API}/quality/clusters", params={**P, "method": "lexical"}).json()
    assert lexical["method"] == "minhash-lexical" and lexical["fallback_reason"] is None
