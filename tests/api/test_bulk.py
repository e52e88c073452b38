"""Bulk actions on many prompts: tag, untag, move, label, delete, restore; all or nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.api._helpers import API, PROMPTS, create, error, get, ok, patch, snapshot

BULK = f"{PROMPTS}/bulk"


def _bulk(client: TestClient, **body: Any) -> Any:
    return client.post(BULK, json=body)


def _prompt(client: TestClient, name: str) -> dict[str, Any]:
    return ok(get(client, name))


def test_every_bulk_action(app_client: TestClient) -> None:
    for name in ("a", "b", "c"):
        create(app_client, name, f"{name} text", tags=["keep"])
    ok(patch(app_client, "b", content="b text v2"))

    assert ok(_bulk(app_client, action="tag", names=["a", "b"], tags=["new", "keep"])) == {
        "updated": 2
    }
    assert _prompt(app_client, "a")["tags"] == ["keep", "new"]
    assert _prompt(app_client, "c")["tags"] == ["keep"]
    tags = {t["name"]: t["count"] for t in ok(app_client.get(f"{API}/tags"))["items"]}
    assert tags == {"keep": 3, "new": 2}

    assert ok(_bulk(app_client, action="untag", names=["a", "c"], tags=["keep"]))["updated"] == 2
    assert _prompt(app_client, "a")["tags"] == ["new"]
    assert _prompt(app_client, "c")["tags"] == []

    ok(_bulk(app_client, action="move", names=["a", "b", "c"], folder="/team//x/"))
    assert {_prompt(app_client, n)["folder"] for n in "abc"} == {"team/x"}
    ok(_bulk(app_client, action="move", names=["c"], folder=""))
    assert _prompt(app_client, "c")["folder"] == ""

    ok(_bulk(app_client, action="label", names=["a", "b"], label="production"))
    assert _prompt(app_client, "a")["labels"]["production"] == 1
    assert _prompt(app_client, "b")["labels"]["production"] == 2  # the latest version
    events = ok(app_client.get(f"{PROMPTS}/b/label-events", params={"label": "production"}))
    assert [(e["from_version"], e["to_version"]) for e in events["items"]] == [(None, 2)]

    ok(_bulk(app_client, action="delete", names=["a", "c"]))
    error(get(app_client, "a"), 404)
    assert [p["name"] for p in ok(app_client.get(PROMPTS))["items"]] == ["b"]
    ok(_bulk(app_client, action="restore", names=["a", "c"]))
    assert _prompt(app_client, "a")["deleted_at"] is None
    assert _prompt(app_client, "a")["updated_by"] == "key:bootstrap-admin"
    assert ok(app_client.get(PROMPTS))["total"] == 3


def test_bulk_is_all_or_nothing(app_client: TestClient, core: Core) -> None:
    create(app_client, "a", "a", tags=["t"])
    create(app_client, "b", "b", tags=["t"])
    ok(app_client.delete(f"{PROMPTS}/b"), 204)
    state = snapshot(core)
    for body in (
        {"action": "tag", "names": ["a", "missing"], "tags": ["x"]},
        {"action": "untag", "names": ["missing", "a"], "tags": ["t"]},
        {"action": "move", "names": ["a", "missing"], "folder": "f"},
        {"action": "label", "names": ["a", "missing"], "label": "production"},
        {"action": "delete", "names": ["a", "missing"]},
        {"action": "delete", "names": ["a", "b"]},  # b is already deleted
        {"action": "restore", "names": ["b", "a"]},  # a is not deleted
        {"action": "restore", "names": ["b", "missing"]},
    ):
        err = error(_bulk(app_client, **body), 404, "not_found")
        assert err["details"]["missing"], body
        assert snapshot(core) == state, body
    assert _prompt(app_client, "a")["tags"] == ["t"]


def test_bulk_input_errors(app_client: TestClient, core: Core) -> None:
    create(app_client, "a", "a")
    state = snapshot(core)
    for body in (
        {"action": "tag", "names": ["a"]},
        {"action": "tag", "names": ["a"], "tags": []},
        {"action": "move", "names": ["a"]},
        {"action": "label", "names": ["a"]},
        {"action": "label", "names": ["a"], "label": "Bad Label"},
        {"action": "label", "names": ["a"], "label": "latest"},
        {"action": "explode", "names": ["a"]},
        {"action": "delete", "names": []},
        {"action": "delete", "names": ["a"], "extra": True},
        {"action": "move", "names": ["a"], "folder": "../up"},
        {"names": ["a"]},
    ):
        error(_bulk(app_client, **body), 422, "validation_error")
    assert snapshot(core) == state
