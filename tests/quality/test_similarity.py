"""Near-duplicates without a model: the similar-prompts route, the project report, and the
shingling, MinHash and suggestion underneath (ASGI app and a real database)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from promptyard.services.quality import similarity

API = "/api/v1"
SHARED = (
    "Always answer politely and never promise refunds or discounts. If the customer is "
    "angry, apologise once and escalate to a human agent. Keep every answer under 80 words "
    "and end with the ticket number."
)
SUPPORT = f"You are the support lead for Acme.\n{SHARED}\n<ticket>{{{{ ticket }}}}</ticket>"
BILLING = f"You are the billing lead for Acme.\n{SHARED}\n<invoice>{{{{ invoice }}}}</invoice>"
UNRELATED = "Write a haiku about autumn in the mountains. Follow the 5-7-5 pattern."


def create(client: TestClient, name: str, content: Any) -> None:
    body: dict[str, Any] = {"name": name, "content": content}
    if isinstance(content, list):
        body["type"] = "chat"
    response = client.post(f"{API}/prompts", json=body)
    assert response.status_code == 201, response.text


def test_similar_prompts_with_score_and_reuse_suggestion(app_client: TestClient) -> None:
    create(app_client, "support", SUPPORT)
    create(app_client, "billing", [{"role": "system", "content": BILLING}])
    create(app_client, "haiku", UNRELATED)
    response = app_client.get(f"{API}/prompts/support/similar")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["prompt"], body["version"], body["method"]) == ("support", 1, "lexical")
    assert body["compared"] == 2
    assert [item["name"] for item in body["items"]] == ["billing"]  # haiku is below 0.3
    item = body["items"][0]
    assert 0.5 < item["score"] < 1
    suggestion = item["suggestion"]
    assert suggestion["text"].startswith("for Acme.") or SHARED[:40] in suggestion["text"]
    assert SHARED in suggestion["text"]
    assert suggestion["line"] == 1 and suggestion["words"] >= 30
    assert suggestion["include"] == '{% include "prompt:support-shared@production" %}'

    everything = app_client.get(f"{API}/prompts/support/similar", params={"min_score": 0})
    assert [i["name"] for i in everything.json()["items"]] == ["billing", "haiku"]
    assert everything.json()["items"][1]["suggestion"] is None


def test_similar_reads_a_chosen_version_and_answers_4xx(app_client: TestClient) -> None:
    create(app_client, "support", UNRELATED)
    app_client.patch(f"{API}/prompts/support", json={"content": SUPPORT})
    create(app_client, "billing", BILLING)
    first = app_client.get(f"{API}/prompts/support/similar", params={"version": 1})
    assert first.json()["version"] == 1 and first.json()["items"] == []
    assert app_client.get(f"{API}/prompts/missing/similar").status_code == 404
    for params in ({"min_score": 2}, {"limit": 0}, {"version": 0}):
        assert app_client.get(f"{API}/prompts/support/similar", params=params).status_code == 422
    assert (
        app_client.get(f"{API}/prompts/support/similar", params={"version": 9}).status_code == 404
    )


def test_project_near_duplicate_report(app_client: TestClient) -> None:
    create(app_client, "support", SUPPORT)
    create(app_client, "billing", BILLING)
    create(app_client, "sales", SUPPORT.replace("support lead", "sales lead"))
    create(app_client, "haiku", UNRELATED)
    response = app_client.get(f"{API}/quality/near-duplicates", params={"threshold": 0.5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "minhash-lsh" and body["prompts"] == 4
    pairs = {(p["a"]["name"], p["b"]["name"]) for p in body["pairs"]}
    assert pairs == {("billing", "sales"), ("billing", "support"), ("sales", "support")}
    assert body["pairs"][0]["score"] >= body["pairs"][-1]["score"]
    assert body["groups"] == [["billing", "sales", "support"]]
    assert all(p["suggestion"] and SHARED in p["suggestion"]["text"] for p in body["pairs"])
    strict = app_client.get(f"{API}/quality/near-duplicates", params={"threshold": 0.85})
    assert [(p["a"]["name"], p["b"]["name"]) for p in strict.json()["pairs"]] == [
        ("sales", "support")
    ]
    bad = app_client.get(f"{API}/quality/near-duplicates", params={"threshold": 0.1})
    assert bad.status_code == 422


def test_minhash_estimates_jaccard_and_lsh_finds_close_pairs() -> None:
    words = [f"w{i}" for i in range(300)]
    base = " ".join(words)
    close = " ".join(words[:270] + [f"x{i}" for i in range(30)])
    far = " ".join(f"y{i}" for i in range(300))
    a, b, c = (similarity.tokens(t) for t in (base, close, far))
    exact = similarity.jaccard(a.shingles, b.shingles)
    sig_a, sig_b = similarity.signature(a.shingles), similarity.signature(b.shingles)
    estimate = sum(x == y for x, y in zip(sig_a, sig_b, strict=True)) / len(sig_a)
    assert abs(estimate - exact) < 0.2
    assert similarity.jaccard(a.shingles, c.shingles) == 0
    assert similarity.tokens("").shingles == frozenset()
    assert similarity.signature(frozenset()) == ()
    # template tags are one word: renaming a variable changes one word, not three
    assert len(similarity.tokens("Summarise {{ the_ticket }} now").words) == 3
