"""History listing, diffs between any two versions, and rollback."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient

from tests.api._helpers import PROMPTS, create, error, get, ok, patch, versions

TEXTS = [
    "Hello world.\nPlease answer {{ question }} politely.\nThanks!\n",
    "Hello {{ name }}.\nPlease answer {{ question }} politely and briefly.\nThanks!\n",
    "Greetings {{ name }}.\nAnswer {{ question }}.\n",
    "Hello world.\nPlease answer {{ question }} politely.\nThanks!\nBye.\n",
]


def _diff(client: TestClient, name: str, old: int, new: int) -> dict[str, Any]:
    return ok(client.get(f"{PROMPTS}/{name}/diff", params={"from": old, "to": new}))


def _joined(spans: list[dict[str, str]], ops: set[str]) -> str:
    return "".join(span["text"] for span in spans if span["op"] in ops)


def test_versions_list_newest_first_with_paging_and_branch_filter(app_client: TestClient) -> None:
    create(app_client, "hist", TEXTS[0])
    for text in TEXTS[1:]:
        ok(patch(app_client, "hist", content=text))
    ok(app_client.post(f"{PROMPTS}/hist/branches", json={"name": "exp", "from_version": 2}), 201)
    ok(patch(app_client, "hist", content="branch text", branch="exp"))

    items = versions(app_client, "hist")
    assert [v["number"] for v in items] == [5, 4, 3, 2, 1]
    assert [v["branch"] for v in items] == ["exp", "main", "main", "main", "main"]
    assert items[0]["parent"] == 2
    page = ok(app_client.get(f"{PROMPTS}/hist/versions", params={"limit": 2, "offset": 1}))
    assert page["total"] == 5
    assert [v["number"] for v in page["items"]] == [4, 3]
    main = ok(app_client.get(f"{PROMPTS}/hist/versions", params={"branch": "main"}))
    assert main["total"] == 4 and [v["number"] for v in main["items"]] == [4, 3, 2, 1]
    error(app_client.get(f"{PROMPTS}/nope/versions"), 404, "not_found")


def test_diff_spans_rebuild_both_sides_for_every_pair(app_client: TestClient) -> None:
    create(app_client, "d", TEXTS[0])
    for text in TEXTS[1:]:
        ok(patch(app_client, "d", content=text))
    for old, new in itertools.permutations(range(1, len(TEXTS) + 1), 2):
        body = _diff(app_client, "d", old, new)
        assert (body["from"], body["to"]) == (old, new)
        assert body["type_changed"] is False
        assert body["messages"] is None
        assert body["config"] == []
        spans = body["spans"]
        assert {span["op"] for span in spans} <= {"equal", "insert", "delete"}
        assert all(span["text"] for span in spans)
        assert _joined(spans, {"equal", "delete"}) == TEXTS[old - 1], (old, new)
        assert _joined(spans, {"equal", "insert"}) == TEXTS[new - 1], (old, new)
        unified = body["unified"]
        assert unified.startswith(f"--- d@v{old}\n+++ d@v{new}\n@@ ")
        assert body["stats"]["insertions"] > 0 or body["stats"]["deletions"] > 0

    # Same version: everything equal, nothing to count.
    same = _diff(app_client, "d", 2, 2)
    assert [span["op"] for span in same["spans"]] == ["equal"]
    assert same["stats"] == {"insertions": 0, "deletions": 0}


def test_diff_of_a_small_change_is_precise(app_client: TestClient) -> None:
    create(app_client, "small", "Hello world, how are you?\nline two\n")
    ok(patch(app_client, "small", content="Hello {{ name }}, how are you?\nline two\n"))
    body = _diff(app_client, "small", 1, 2)
    assert {"op": "delete", "text": "world"} in body["spans"]
    assert any(s["op"] == "insert" and "{{ name }}" in s["text"] for s in body["spans"])
    assert body["spans"][0] == {"op": "equal", "text": "Hello "}
    lines = body["unified"].splitlines()
    assert "-Hello world, how are you?" in lines
    assert "+Hello {{ name }}, how are you?" in lines
    assert " line two" in lines
    assert body["stats"]["deletions"] == 1


def test_diff_of_config_and_chat_messages(app_client: TestClient) -> None:
    chat_v1 = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "Question: {{ q }}"},
    ]
    chat_v2 = [
        {"role": "system", "content": "You are very helpful."},
        {"role": "user", "content": "Question: {{ q }}"},
        {"role": "assistant", "content": "Sure."},
    ]
    create(
        app_client,
        "conv",
        chat_v1,
        config={"model": "a", "temperature": 0.7, "provider_options": {"seed": 1}},
    )
    ok(
        patch(
            app_client,
            "conv",
            content=chat_v2,
            config={"model": "a", "temperature": 0.2, "provider_options": {"seed": 2}, "top_p": 1},
        )
    )
    body = _diff(app_client, "conv", 1, 2)
    assert body["config"] == [
        {"path": "provider_options.seed", "op": "changed", "old": 1, "new": 2},
        {"path": "temperature", "op": "changed", "old": 0.7, "new": 0.2},
        {"path": "top_p", "op": "added", "old": None, "new": 1},
    ]
    messages = body["messages"]
    assert [m["op"] for m in messages] == ["changed", "equal", "insert"]
    system = messages[0]
    assert (system["old_index"], system["new_index"]) == (0, 0)
    assert system["role_old"] == system["role_new"] == "system"
    assert {"op": "insert", "text": "very "} in system["spans"] or any(
        s["op"] == "insert" and "very" in s["text"] for s in system["spans"]
    )
    assert messages[2]["new_index"] == 2 and messages[2]["old_index"] is None
    assert messages[2]["role_new"] == "assistant"
    reverse = _diff(app_client, "conv", 2, 1)
    assert [m["op"] for m in reverse["messages"]] == ["changed", "equal", "delete"]
    assert reverse["config"][2] == {"path": "top_p", "op": "removed", "old": 1, "new": None}

    # Type change text -> chat is flagged.
    create(app_client, "shift", "plain")
    ok(patch(app_client, "shift", type="chat", content=chat_v1))
    assert _diff(app_client, "shift", 1, 2)["type_changed"] is True


def test_diff_errors(app_client: TestClient) -> None:
    create(app_client, "e", "x")
    error(app_client.get(f"{PROMPTS}/e/diff", params={"from": 1, "to": 5}), 404, "not_found")
    error(app_client.get(f"{PROMPTS}/e/diff", params={"from": 1}), 422, "validation_error")
    error(app_client.get(f"{PROMPTS}/e/diff", params={"from": 0, "to": 1}), 422)
    error(app_client.get(f"{PROMPTS}/zz/diff", params={"from": 1, "to": 1}), 404, "not_found")


def test_rollback_makes_a_new_version_equal_to_the_old_one(app_client: TestClient) -> None:
    v1 = create(app_client, "rb", "First {{ x }}", config={"temperature": 0.1})["version"]
    ok(patch(app_client, "rb", content="Second {{ x }}", config={"temperature": 0.9}))
    ok(patch(app_client, "rb", content="Third {{ x }}"))

    body = ok(app_client.post(f"{PROMPTS}/rb/rollback", json={"version": 1}))
    v4 = body["version"]
    assert body["latest_version"] == 4 and v4["number"] == 4
    assert v4["content"] == v1["content"]
    assert v4["config"] == v1["config"]
    assert v4["content_hash"] == v1["content_hash"]
    assert v4["parent"] == 3
    assert "1" in v4["message"]
    assert ok(get(app_client, "rb"))["version"]["content"] == "First {{ x }}"
    # History is intact: nothing was rewritten.
    assert [v["content"] for v in versions(app_client, "rb")] == [
        "First {{ x }}",
        "Third {{ x }}",
        "Second {{ x }}",
        "First {{ x }}",
    ]
    diff = _diff(app_client, "rb", 1, 4)
    assert [s["op"] for s in diff["spans"]] == ["equal"] and diff["config"] == []

    custom = ok(
        app_client.post(
            f"{PROMPTS}/rb/rollback",
            json={"version": 2, "commit_message": "undo", "base_version": 4},
        )
    )
    assert custom["version"]["message"] == "undo" and custom["version"]["number"] == 5
    stale = error(
        app_client.post(f"{PROMPTS}/rb/rollback", json={"version": 1, "base_version": 4}),
        409,
        "stale_version",
    )
    assert stale["details"]["current"] == 5
    error(app_client.post(f"{PROMPTS}/rb/rollback", json={"version": 42}), 404, "not_found")
    assert ok(get(app_client, "rb"))["latest_version"] == 5
