"""Immutable versions, selection by version or label, and labels with their history."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from tests.api._helpers import (
    KEY_AUTHOR,
    PROMPTS,
    create,
    error,
    get,
    ok,
    patch,
    set_label,
    versions,
)


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_every_content_or_config_change_is_a_new_immutable_version(
    app_client: TestClient,
) -> None:
    first = create(app_client, "greeting", "Hello {{ name }}", config={"temperature": 0.7})
    v1 = first["version"]

    r2 = patch(app_client, "greeting", content="Hi {{ name }}", commit_message="shorter")
    assert r2.headers["etag"] == '"2"'
    v2 = ok(r2)["version"]
    r3 = patch(app_client, "greeting", config={"temperature": 0.2})
    assert r3.headers["etag"] == '"3"'
    v3 = ok(r3)["version"]

    assert [v1["number"], v2["number"], v3["number"]] == [1, 2, 3]
    assert [v1["parent"], v2["parent"], v3["parent"]] == [None, 1, 2]
    assert v2["message"] == "shorter"
    assert v3["content"] == "Hi {{ name }}" and v3["config"] == {"temperature": 0.2}
    assert len({v1["content_hash"], v2["content_hash"], v3["content_hash"]}) == 3
    assert _ts(v1["created_at"]) <= _ts(v2["created_at"]) <= _ts(v3["created_at"])
    assert {v1["author"], v2["author"], v3["author"]} == {KEY_AUTHOR}

    # Metadata-only changes make no version, and the ETag still names the head.
    r_meta = patch(
        app_client,
        "greeting",
        description="d",
        tags=["x"],
        folder="a/b",
        metadata={"k": "v"},
    )
    body = ok(r_meta)
    assert r_meta.headers["etag"] == '"3"'
    assert body["latest_version"] == 3 and body["version"]["number"] == 3
    assert body["description"] == "d" and body["metadata"] == {"k": "v"}
    # The same content again is no change either.
    same = ok(patch(app_client, "greeting", content="Hi {{ name }}", config={"temperature": 0.2}))
    assert same["latest_version"] == 3
    ok(patch(app_client, "greeting", config={"model": "m", "temperature": 0.2}))
    reordered = ok(patch(app_client, "greeting", config={"temperature": 0.2, "model": "m"}))
    assert reordered["latest_version"] == 4  # key order is not a change

    history = versions(app_client, "greeting")
    assert [v["number"] for v in history] == [4, 3, 2, 1]
    # Old versions are exactly what was stored when they were made.
    assert history[3] == {**v1, "labels": []}
    assert history[2] == {**v2, "labels": []}
    assert history[1] == {**v3, "labels": []}
    assert ok(app_client.get(f"{PROMPTS}/greeting/versions/1")) == {**v1, "labels": []}
    assert ok(get(app_client, "greeting", version=1))["version"] == {**v1, "labels": []}


def test_version_and_label_selection(app_client: TestClient) -> None:
    create(app_client, "sel", "one")
    ok(patch(app_client, "sel", content="two"))
    ok(patch(app_client, "sel", content="three"))
    ok(set_label(app_client, "sel", "production", 1))
    ok(set_label(app_client, "sel", "staging", 2))

    for params, number, content in [
        ({}, 3, "three"),
        ({"version": 1}, 1, "one"),
        ({"version": 2}, 2, "two"),
        ({"label": "production"}, 1, "one"),
        ({"label": "staging"}, 2, "two"),
        ({"label": "latest"}, 3, "three"),
    ]:
        response = get(app_client, "sel", **params)
        body = ok(response)
        assert body["version"]["number"] == number, params
        assert body["version"]["content"] == content, params
        assert response.headers["etag"].startswith(f'"{number}-'), params
    body = ok(get(app_client, "sel", label="production"))
    assert body["labels"] == {"latest": 3, "production": 1, "staging": 2}
    assert body["version"]["labels"] == ["production"]

    error(get(app_client, "sel", version=9), 404, "not_found")
    error(get(app_client, "sel", label="nope"), 404, "not_found")
    error(get(app_client, "sel", version=1, label="production"), 422)
    error(app_client.get(f"{PROMPTS}/sel/versions/9"), 404, "not_found")


def test_latest_is_managed_by_the_server(app_client: TestClient) -> None:
    create(app_client, "auto", "one")
    ok(patch(app_client, "auto", content="two"))
    before = ok(app_client.get(f"{PROMPTS}/auto/label-events"))["items"]

    for response in (
        set_label(app_client, "auto", "latest", 1),
        app_client.delete(f"{PROMPTS}/auto/labels/latest"),
        app_client.post(
            f"{PROMPTS}/bulk", json={"action": "label", "names": ["auto"], "label": "latest"}
        ),
    ):
        err = error(response, response.status_code)
        assert 400 <= response.status_code < 500, err
    assert ok(get(app_client, "auto"))["labels"] == {"latest": 2}
    assert ok(app_client.get(f"{PROMPTS}/auto/label-events"))["items"] == before

    # A commit on a branch does not move latest; one on main does.
    ok(app_client.post(f"{PROMPTS}/auto/branches", json={"name": "exp", "from_version": 2}), 201)
    ok(patch(app_client, "auto", content="three (exp)", branch="exp"))
    assert ok(get(app_client, "auto"))["labels"]["latest"] == 2
    ok(patch(app_client, "auto", content="four"))
    body = ok(get(app_client, "auto"))
    assert body["labels"]["latest"] == 4 and body["version"]["content"] == "four"


def test_labels_move_to_any_version_and_every_move_is_recorded(app_client: TestClient) -> None:
    create(app_client, "moving", "one")
    ok(patch(app_client, "moving", content="two"))
    ok(patch(app_client, "moving", content="three"))

    label = ok(set_label(app_client, "moving", "production", 3))
    assert label["name"] == "production" and label["version"] == 3
    assert label["updated_by"] == KEY_AUTHOR
    ok(set_label(app_client, "moving", "production", 1))  # backwards is fine
    ok(set_label(app_client, "moving", "production", 2))
    ok(set_label(app_client, "moving", "production", 2))  # no move, no event
    ok(set_label(app_client, "moving", "exp.v2_rc-1", 3))
    ok(app_client.delete(f"{PROMPTS}/moving/labels/exp.v2_rc-1"), 204)
    error(app_client.delete(f"{PROMPTS}/moving/labels/exp.v2_rc-1"), 404, "not_found")

    labels = ok(app_client.get(f"{PROMPTS}/moving/labels"))["items"]
    assert {item["name"]: item["version"] for item in labels} == {"latest": 3, "production": 2}

    events = ok(app_client.get(f"{PROMPTS}/moving/label-events", params={"label": "production"}))
    moves = [(e["from_version"], e["to_version"]) for e in events["items"]]
    assert moves == [(1, 2), (3, 1), (None, 3)]  # newest first
    for event in events["items"]:
        assert event["label"] == "production"
        assert event["actor"] == KEY_AUTHOR
        assert _ts(event["created_at"]).tzinfo is not None
    times = [_ts(e["created_at"]) for e in events["items"]]
    assert times == sorted(times, reverse=True)

    everything = ok(app_client.get(f"{PROMPTS}/moving/label-events"))["items"]
    by_label: dict[str, list[tuple[int | None, int | None]]] = {}
    for event in everything:
        by_label.setdefault(event["label"], []).append((event["from_version"], event["to_version"]))
    assert by_label["latest"] == [(2, 3), (1, 2), (None, 1)]
    assert by_label["exp.v2_rc-1"] == [(3, None), (None, 3)]

    error(set_label(app_client, "moving", "production", 9), 404, "not_found")
    assert ok(get(app_client, "moving", label="production"))["version"]["number"] == 2
    error(set_label(app_client, "ghost", "production", 1), 404, "not_found")
