"""End-user feedback: kinds and their ranges, tied to a stored generation, listed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api._helpers import API, error, ok

FEEDBACK = f"{API}/analytics/feedback"


@pytest.fixture
def generation(app_client: TestClient) -> str:
    body = {"generations": [{"id": "gen-1", "model": "gpt-4o", "output": "hello"}]}
    ok(app_client.post(f"{API}/generations/batch", json=body))
    return "gen-1"


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        ({"kind": "thumbs", "value": 1}, (1.0, None)),
        ({"kind": "thumbs", "value": 0, "comment": "wrong answer"}, (0.0, None)),
        ({"kind": "score", "value": 0.75}, (0.75, "0-1")),
        ({"kind": "score", "value": 4, "scale": "1-5"}, (4.0, "1-5")),
        ({"kind": "nps", "value": 9}, (9.0, None)),
        ({"kind": "comment", "comment": "too long"}, (None, None)),
    ],
)
def test_each_kind_is_stored_with_the_generation(
    app_client: TestClient, generation: str, body: dict[str, Any], stored: tuple[Any, Any]
) -> None:
    created = ok(app_client.post(FEEDBACK, json={"generation_id": generation, **body}), 201)
    assert (created["value"], created["scale"]) == stored
    assert created["created_by"] == "key:bootstrap-admin"
    detail = ok(app_client.get(f"{API}/generations/{generation}"))
    assert [f["id"] for f in detail["feedback"]] == [created["id"]]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"kind": "thumbs", "value": 2}, "thumbs is 1"),
        ({"kind": "score", "value": 7}, "0 to 1"),
        ({"kind": "score", "value": 0, "scale": "1-5"}, "1 to 5"),
        ({"kind": "nps", "value": 11}, "0 to 10"),
        ({"kind": "nps", "value": 7.5}, "whole number"),
        ({"kind": "comment"}, "needs the comment"),
        ({"kind": "thumbs"}, "needs a value"),
    ],
)
def test_values_out_of_range_are_refused_with_the_rule(
    app_client: TestClient, generation: str, body: dict[str, Any], words: str
) -> None:
    err = error(app_client.post(FEEDBACK, json={"generation_id": generation, **body}), 422)
    assert words in err["message"]


def test_feedback_needs_something_to_be_about(app_client: TestClient) -> None:
    err = error(app_client.post(FEEDBACK, json={"kind": "thumbs", "value": 1}), 422)
    assert "generation_id" in err["message"]
    err = error(
        app_client.post(FEEDBACK, json={"generation_id": "nope", "kind": "thumbs", "value": 1}),
        404,
    )
    assert "report the generation" in err["message"]
    assert ok(app_client.post(FEEDBACK, json={"session_id": "s-1", "kind": "nps", "value": 3}), 201)


def test_feedback_is_listed_newest_first_with_a_cursor(
    app_client: TestClient, generation: str
) -> None:
    for value in (1, 0, 1):
        ok(
            app_client.post(
                FEEDBACK, json={"generation_id": generation, "kind": "thumbs", "value": value}
            ),
            201,
        )
    ok(app_client.post(FEEDBACK, json={"trace_id": "t-1", "kind": "comment", "comment": "ok"}), 201)
    first = ok(app_client.get(FEEDBACK, params={"limit": 2}))
    assert [f["kind"] for f in first["items"]] == ["comment", "thumbs"]
    rest = ok(app_client.get(FEEDBACK, params={"limit": 2, "cursor": first["next_cursor"]}))
    assert [f["value"] for f in rest["items"]] == [0.0, 1.0]
    assert rest["next_cursor"] is None
    thumbs = ok(app_client.get(FEEDBACK, params={"generation_id": generation}))["items"]
    assert len(thumbs) == 3
