"""Projects, export and import through the SDK."""

from __future__ import annotations

import json
import uuid

import pytest
import yaml

from promptyard.client import Client, PromptyardError


def slug() -> str:
    return f"p-{uuid.uuid4().hex[:10]}"


def test_projects(client: Client) -> None:
    new = slug()
    created = client.create_project(new, "A project")
    assert created["slug"] == new and created["name"] == "A project"
    assert created["prompt_count"] == 0
    listed = {p["slug"]: p for p in client.list_projects()["items"]}
    assert "default" in listed and new in listed
    with pytest.raises(PromptyardError) as info:
        client.create_project(new, "again")
    assert info.value.status == 409
    assert info.value.code == "already_exists"


def test_export_import_roundtrip(client: Client) -> None:
    source, target = slug(), slug()
    client.create_project(source, "source")
    client.create_project(target, "target")
    with Client(client.base_url, client.api_key, project=source) as src:
        src.create_prompt("greet", content="Hi {{ n }}", tags=["t"])
        src.update_prompt("greet", content="Hello {{ n }}")
        src.set_label("greet", "production", 1)
        src.create_branch("greet", "exp", 1)
    bundle = client.export_project(source)
    data = json.loads(bundle)
    assert [p["name"] for p in data["prompts"]] == ["greet"]

    result = client.import_project(bundle, slug=target)
    assert result == {"created": ["greet"], "skipped": []}
    with Client(client.base_url, client.api_key, project=target) as dst:
        prompt = dst.get_prompt_details("greet", label="production")
        assert prompt["version"] is not None and prompt["version"]["content"] == "Hi {{ n }}"
        assert prompt["latest_version"] == 2
        assert {b["name"] for b in dst.list_branches("greet")["items"]} == {"main", "exp"}
        copied = json.loads(dst.export_project())
    assert copied["prompts"] == data["prompts"]  # export, import: reproduced exactly

    with pytest.raises(PromptyardError) as info:
        client.import_project(data, slug=target)
    assert info.value.status == 409
    skipped = client.import_project(data, slug=target, on_conflict="skip")
    assert skipped == {"created": [], "skipped": ["greet"]}


def test_export_import_yaml(client: Client) -> None:
    source, target = slug(), slug()
    client.create_project(source, "source")
    client.create_project(target, "target")
    with Client(client.base_url, client.api_key, project=source) as src:
        src.create_prompt("y", type="chat", content=[{"role": "user", "content": "{{ q }}"}])
        exported = src.export_project(format="yaml")
    assert yaml.safe_load(exported)["prompts"][0]["name"] == "y"
    result = client.import_project(exported, slug=target, format="yaml")
    assert result["created"] == ["y"]
