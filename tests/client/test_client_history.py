"""Versions, diff, rollback, labels, branches and merge through the SDK."""

from __future__ import annotations

import pytest

from promptyard.client import Client, PromptyardError


@pytest.fixture
def three_versions(client: Client, name: str) -> str:
    client.create_prompt(name, content="Hello world", config={"temperature": 0.7})
    client.update_prompt(name, content="Hello there world", commit_message="there")
    client.update_prompt(
        name, content="Hello {{ name }}", config={"temperature": 0.2}, commit_message="var"
    )
    return name


def test_versions(client: Client, three_versions: str) -> None:
    page = client.list_versions(three_versions)
    assert page["total"] == 3
    assert [v["number"] for v in page["items"]] == [3, 2, 1]
    assert page["items"][0]["labels"] == ["latest"]
    second = client.list_versions(three_versions, limit=1, offset=1)["items"]
    assert [v["number"] for v in second] == [2]
    assert client.list_versions(three_versions, branch="main")["total"] == 3
    version = client.get_version(three_versions, 2)
    assert version["content"] == "Hello there world"
    assert version["message"] == "there"
    with pytest.raises(PromptyardError) as info:
        client.get_version(three_versions, 9)
    assert info.value.status == 404


def test_diff(client: Client, three_versions: str) -> None:
    diff = client.diff(three_versions, 1, 3)
    assert diff["from"] == 1 and diff["to"] == 3
    assert diff["type_changed"] is False
    assert "-Hello world" in diff["unified"]
    assert "+Hello {{ name }}" in diff["unified"]
    assert {"path": "temperature", "op": "changed", "old": 0.7, "new": 0.2} in diff["config"]
    assert diff["stats"]["insertions"] >= 1


def test_rollback(client: Client, three_versions: str) -> None:
    rolled = client.rollback(three_versions, 1, commit_message="back", base_version=3)
    assert rolled["latest_version"] == 4
    assert rolled["version"] is not None
    assert rolled["version"]["content"] == "Hello world"
    assert rolled["version"]["config"] == {"temperature": 0.7}
    assert rolled["version"]["message"] == "back"
    with pytest.raises(PromptyardError) as info:
        client.rollback(three_versions, 2, base_version=3)
    assert info.value.code == "stale_version"


def test_labels_and_events(client: Client, three_versions: str) -> None:
    moved = client.set_label(three_versions, "production", 2)
    assert moved["name"] == "production" and moved["version"] == 2
    assert moved["updated_by"] == "key:bootstrap-admin"
    client.set_label(three_versions, "production", 3)
    client.set_label(three_versions, "staging", 1)
    labels = {item["name"]: item["version"] for item in client.list_labels(three_versions)["items"]}
    assert labels == {"latest": 3, "production": 3, "staging": 1}
    client.delete_label(three_versions, "staging")
    labels = {item["name"] for item in client.list_labels(three_versions)["items"]}
    assert labels == {"latest", "production"}

    events = client.label_events(three_versions, "production")["items"]
    assert [(e["from_version"], e["to_version"]) for e in events] == [(2, 3), (None, 2)]
    assert events[0]["actor"] == "key:bootstrap-admin"
    every = client.label_events(three_versions)["items"]
    assert ("staging", 1, None) in [(e["label"], e["from_version"], e["to_version"]) for e in every]

    with pytest.raises(PromptyardError) as info:
        client.set_label(three_versions, "latest", 1)
    assert info.value.status == 422
    with pytest.raises(PromptyardError) as info:
        client.delete_label(three_versions, "staging")
    assert info.value.status == 404


def test_branch_and_merge(client: Client, name: str) -> None:
    client.create_prompt(name, content="line one\nline two\nline three\n")
    branch = client.create_branch(name, "experiment", 1)
    assert branch["name"] == "experiment" and branch["head"] == 1 and branch["base"] == 1
    client.update_prompt(
        name,
        content="line one\nline two\nline THREE\n",
        branch="experiment",
        commit_message="shout",
    )
    client.update_prompt(name, content="line ONE\nline two\nline three\n")
    branches = {b["name"]: b for b in client.list_branches(name)["items"]}
    assert set(branches) == {"main", "experiment"}
    assert branches["experiment"]["head"] == 2
    merged = client.merge_branch(name, "experiment", commit_message="merge it", base_version=3)
    assert merged["latest_version"] == 4
    assert merged["version"] is not None
    assert merged["version"]["content"] == "line ONE\nline two\nline THREE\n"
    assert merged["version"]["merge_parent"] == 2
    assert client.list_branches(name)["items"][1]["merged_at"] is not None
    client.delete_branch(name, "experiment")
    assert [b["name"] for b in client.list_branches(name)["items"]] == ["main"]


def test_merge_conflict(client: Client, name: str) -> None:
    client.create_prompt(name, content="same line\n")
    client.create_branch(name, "other", 1)
    client.update_prompt(name, content="ours\n")
    client.update_prompt(name, content="theirs\n", branch="other")
    with pytest.raises(PromptyardError) as info:
        client.merge_branch(name, "other")
    error = info.value
    assert error.status == 409
    assert error.code == "merge_conflict"
    assert error.details["conflicts"][0]["ours"] == ["ours\n"] or error.details["conflicts"]
