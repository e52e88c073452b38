"""Optimistic concurrency: ``base_version`` and ``If-Match``; a stale base changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.api._helpers import PROMPTS, create, error, get, ok, patch, snapshot


def test_base_version_and_if_match_accept_the_current_head(app_client: TestClient) -> None:
    create(app_client, "occ", "one")
    first = patch(app_client, "occ", content="two", base_version=1)
    assert ok(first)["version"]["number"] == 2
    second = patch(app_client, "occ", content="three", headers={"If-Match": first.headers["etag"]})
    assert ok(second)["version"]["number"] == 3
    third = patch(app_client, "occ", content="four", headers={"If-Match": "3"})
    assert ok(third)["version"]["number"] == 4
    weak = patch(app_client, "occ", content="five", headers={"If-Match": 'W/"4"'})
    assert ok(weak)["version"]["number"] == 5
    both = patch(app_client, "occ", content="six", base_version=5, headers={"If-Match": '"5"'})
    assert ok(both)["version"]["number"] == 6
    # Metadata-only changes are checked too.
    meta = patch(app_client, "occ", description="d", base_version=6)
    assert ok(meta)["description"] == "d"


def test_stale_base_is_409_and_nothing_changes(app_client: TestClient, core: Core) -> None:
    create(app_client, "occ", "one", tags=["a"])
    ok(patch(app_client, "occ", content="two"))
    state = snapshot(core)
    for kwargs in (
        {"content": "lost", "base_version": 1},
        {"content": "lost", "headers": {"If-Match": '"1"'}},
        {"description": "lost", "tags": ["b"], "base_version": 1},
        {"config": {"model": "x"}, "base_version": 3},
    ):
        err = error(patch(app_client, "occ", **kwargs), 409, "stale_version")
        assert err["details"]["current"] == 2
        assert err["details"]["base_version"] in (1, 3)
        assert "version 2" in err["message"]
    assert snapshot(core) == state
    body = ok(get(app_client, "occ"))
    assert body["version"]["content"] == "two" and body["tags"] == ["a"]


def test_if_match_disagreeing_with_base_version_is_refused(
    app_client: TestClient, core: Core
) -> None:
    create(app_client, "occ", "one")
    state = snapshot(core)
    response = patch(app_client, "occ", content="x", base_version=1, headers={"If-Match": '"2"'})
    err = error(response, response.status_code)
    assert 400 <= response.status_code < 500 and err["code"] != "internal_error"
    for bad in ("abc", '"1.5"', "*x", '""'):
        error(patch(app_client, "occ", content="x", headers={"If-Match": bad}), 422)
    assert snapshot(core) == state


def test_base_version_is_per_branch(app_client: TestClient) -> None:
    create(app_client, "occ", "one")
    ok(app_client.post(f"{PROMPTS}/occ/branches", json={"name": "b", "from_version": 1}), 201)
    ok(patch(app_client, "occ", content="main two", base_version=1))
    on_branch = ok(patch(app_client, "occ", content="branch two", branch="b", base_version=1))
    assert on_branch["version"]["number"] == 3 and on_branch["version"]["branch"] == "b"
    err = error(
        patch(app_client, "occ", content="x", branch="b", base_version=2), 409, "stale_version"
    )
    assert err["details"]["current"] == 3
    ok(patch(app_client, "occ", content="main three", base_version=2))
