"""Prompt CRUD, search, bulk actions, folders and tags through the SDK."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from promptyard.client import Client, PromptyardError


def test_create_and_get(client: Client, name: str) -> None:
    created = client.create_prompt(
        name,
        content="Hello {{ who }}",
        config={"model": "fake/echo", "temperature": 0.2},
        folder="/sdk//greetings/",
        description="says hello",
        tags=["sdk", "hello"],
        metadata={"owner": "cx"},
        commit_message="first",
    )
    assert created["name"] == name
    assert created["project"] == "default"
    assert created["folder"] == "sdk/greetings"
    assert created["tags"] == ["sdk", "hello"]
    assert created["metadata"] == {"owner": "cx"}
    assert created["latest_version"] == 1
    assert created["labels"] == {"latest": 1}
    version = created["version"]
    assert version is not None
    assert version["number"] == 1
    assert version["content"] == "Hello {{ who }}"
    assert version["config"] == {"model": "fake/echo", "temperature": 0.2}
    assert version["message"] == "first"
    assert version["variables"] == [{"name": "who", "required": True}]
    assert version["author"] == "key:bootstrap-admin"

    fetched = client.get_prompt_details(name)
    assert fetched["id"] == created["id"]
    assert fetched["version"] is not None
    assert fetched["version"]["content_hash"] == version["content_hash"]


def test_create_chat(client: Client, name: str) -> None:
    messages = [
        {"role": "system", "content": "You help with {{ topic }}."},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "{{ question }}"},
    ]
    created = client.create_prompt(name, type="chat", content=messages)
    assert created["type"] == "chat"
    assert created["version"] is not None
    assert created["version"]["content"] == messages
    names = {v["name"] for v in created["version"]["variables"]}
    assert names == {"topic", "history", "question"}


def test_get_by_version_and_label(client: Client, name: str) -> None:
    client.create_prompt(name, content="one")
    client.update_prompt(name, content="two")
    client.set_label(name, "production", 1)
    by_version = client.get_prompt_details(name, version=1)
    by_label = client.get_prompt_details(name, label="production")
    latest = client.get_prompt_details(name)
    assert by_version["version"] is not None and by_version["version"]["content"] == "one"
    assert by_label["version"] is not None and by_label["version"]["number"] == 1
    assert latest["version"] is not None and latest["version"]["content"] == "two"
    assert latest["labels"] == {"latest": 2, "production": 1}


def test_update(client: Client, name: str) -> None:
    client.create_prompt(name, content="v1", tags=["a"])
    updated = client.update_prompt(
        name, content="v2", config={"model": "m"}, commit_message="second", base_version=1
    )
    assert updated["latest_version"] == 2
    assert updated["version"] is not None
    assert updated["version"]["message"] == "second"
    assert updated["version"]["parent"] == 1
    # Metadata-only changes make no version.
    moved = client.update_prompt(
        name, folder="elsewhere", description="d", tags=["b"], metadata={"k": "v"}
    )
    assert moved["latest_version"] == 2
    assert (moved["folder"], moved["description"], moved["tags"], moved["metadata"]) == (
        "elsewhere",
        "d",
        ["b"],
        {"k": "v"},
    )
    # Changing the type needs content of that type.
    chat = client.update_prompt(name, type="chat", content=[{"role": "user", "content": "hi"}])
    assert chat["type"] == "chat" and chat["latest_version"] == 3


def test_update_stale_base_version(client: Client, name: str) -> None:
    client.create_prompt(name, content="v1")
    client.update_prompt(name, content="v2")
    with pytest.raises(PromptyardError) as info:
        client.update_prompt(name, content="v3", base_version=1)
    error = info.value
    assert error.status == 409
    assert error.code == "stale_version"
    assert error.details["current"] == 2
    assert client.get_prompt_details(name)["latest_version"] == 2


def test_delete_and_restore(client: Client, name: str) -> None:
    client.create_prompt(name, content="x")
    assert client.delete_prompt(name) is None
    with pytest.raises(PromptyardError) as info:
        client.get_prompt_details(name)
    assert info.value.status == 404
    deleted = client.list_prompts(q=name, deleted="only")
    assert [p["name"] for p in deleted["items"]] == [name]
    assert deleted["items"][0]["deleted_at"] is not None
    restored = client.restore_prompt(name)
    assert restored["deleted_at"] is None
    assert client.get_prompt_details(name)["name"] == name


def test_list_filters(client: Client) -> None:
    tag = f"tag-{uuid.uuid4().hex[:8]}"
    folder = f"f{uuid.uuid4().hex[:8]}"
    prefix = f"list-{uuid.uuid4().hex[:8]}"
    a, b, c = (f"{prefix}-{letter}" for letter in "abc")
    client.create_prompt(
        a, content="alpha zebra", tags=[tag, "x"], folder=f"{folder}/one", metadata={"team": "red"}
    )
    client.create_prompt(b, content="beta", tags=[tag], folder=folder, metadata={"team": "blue"})
    client.create_prompt(c, type="chat", content=[{"role": "user", "content": "gamma"}], tags=[tag])
    client.set_label(b, "production", 1)

    def names(**filters: Any) -> list[str]:
        filters.setdefault("tag", tag)
        filters.setdefault("sort", "name")
        page = client.list_prompts(**filters)
        return [p["name"] for p in page["items"]]

    assert names() == [a, b, c]
    assert names(tag=[tag, "x"]) == [a]
    assert names(folder=folder) == [a, b]
    assert names(folder=f"{folder}/one") == [a]
    assert names(label="production") == [b]
    assert names(type="chat") == [c]
    assert names(metadata={"team": "blue"}) == [b]
    assert names(q="zebra") == [a]
    assert names(author="key:bootstrap-admin") == [a, b, c]
    assert names(sort="-name") == [c, b, a]
    page = client.list_prompts(tag=tag, sort="name", limit=2, offset=1)
    assert [p["name"] for p in page["items"]] == [b, c]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert "version" not in page["items"][0] or page["items"][0]["version"] is None


def test_bulk_folders_and_tags(client: Client) -> None:
    tag = f"bulk-{uuid.uuid4().hex[:8]}"
    folder = f"bulk{uuid.uuid4().hex[:8]}"
    names = [f"bulk-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for each in names:
        client.create_prompt(each, content="x")
    assert client.bulk("tag", names, tags=[tag]) == {"updated": 2}
    assert client.bulk("move", names, folder=folder) == {"updated": 2}
    assert client.bulk("label", names, label="staging") == {"updated": 2}
    for each in names:
        prompt = client.get_prompt_details(each)
        assert tag in prompt["tags"] and prompt["folder"] == folder
        assert prompt["labels"]["staging"] == 1
    assert {"name": tag, "count": 2} in client.list_tags()["items"]
    assert {"path": folder, "count": 2} in client.list_folders()["items"]
    assert client.bulk("untag", names, tags=[tag]) == {"updated": 2}
    assert client.bulk("delete", names) == {"updated": 2}
    assert client.list_prompts(folder=folder)["total"] == 0
    assert client.bulk("restore", names) == {"updated": 2}
    assert client.list_prompts(folder=folder)["total"] == 2
    with pytest.raises(PromptyardError) as info:
        client.bulk("delete", [*names, "no-such-prompt-anywhere"])
    assert info.value.status == 404
    assert client.list_prompts(folder=folder)["total"] == 2
