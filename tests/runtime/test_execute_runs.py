"""``POST /api/v1/prompts/execute`` with ``runs`` (each run its own model and version,
label or unsaved content: the playground's columns), and the caches of repeated runs:
they follow every write of the prompt, its labels and what it includes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api._helpers import PROMPTS, error, ok, set_label
from tests.runtime.test_execute import EXECUTE, create, events


def outputs(client: TestClient, **body: object) -> list[str]:
    return [run["output"] for run in ok(client.post(EXECUTE, json=body))["runs"]]


def test_each_run_names_its_own_model_and_version_label_or_content(
    app_client: TestClient,
) -> None:
    create(app_client, "cols", "one {{ x }}")
    ok(app_client.patch(f"{PROMPTS}/cols", json={"content": "two {{ x }}"}))
    ok(set_label(app_client, "cols", "production", 1))
    body = {
        "prompt": "cols",
        "variables": {"x": "y"},
        "runs": [
            {"model": "fake/echo", "version": 2},
            {"model": "fake/upper", "label": "production"},
            {"model": "fake/echo", "content": "edited {{ x }}", "config": {"max_tokens": 1}},
            {"model": "fake/upper"},
        ],
    }
    runs = ok(app_client.post(EXECUTE, json=body))["runs"]
    assert [r["output"] for r in runs] == ["two y", "ONE Y", "edit", "TWO Y"]
    assert [r["prompt"] for r in runs] == [
        {"name": "cols", "version": 2, "label": None},
        {"name": "cols", "version": 1, "label": "production"},
        None,
        {"name": "cols", "version": 2, "label": None},
    ]
    assert runs[2]["finish_reason"] == "length"  # the run's own config reached the provider

    found = events(app_client.post(EXECUTE, json={**body, "stream": True}).text)
    done = {data["index"]: data["output"] for name, data in found if name == "done"}
    assert done == {0: "two y", 1: "ONE Y", 2: "edit", 3: "TWO Y"}
    streamed: dict[int, str] = {}
    for name, data in found:
        if name == "delta":
            streamed[data["index"]] = streamed.get(data["index"], "") + data["text"]
    assert streamed[0] == "two y" and streamed[1] == "ONE Y"
    assert found[-1] == ("end", {"runs": 4})


def test_runs_are_checked(app_client: TestClient) -> None:
    create(app_client, "checked", "hi {{ x }}")
    run = {"model": "fake/echo"}
    err = error(app_client.post(EXECUTE, json={"runs": [run], "model": "fake/echo"}), 422)
    assert "beside 'runs'" in err["message"]
    err = error(
        app_client.post(
            EXECUTE, json={"prompt": "checked", "runs": [{**run, "content": "x", "version": 1}]}
        ),
        422,
    )
    assert "runs[0]" in err["message"]
    err = error(app_client.post(EXECUTE, json={"runs": [run]}), 422)
    assert "runs[0]" in err["message"] and "'content'" in err["message"]
    error(app_client.post(EXECUTE, json={"prompt": "checked", "runs": [run] * 9}), 422)
    error(app_client.post(EXECUTE, json={"prompt": "checked", "runs": []}), 422)
    err = error(
        app_client.post(
            EXECUTE, json={"prompt": "checked", "runs": [{**run, "version": 1, "label": "latest"}]}
        ),
        422,
    )
    assert "runs[0]" in err["message"]
    error(
        app_client.post(EXECUTE, json={"prompt": "checked", "runs": [{**run, "version": 7}]}), 404
    )


def test_repeated_runs_follow_new_versions_label_moves_and_deletes(app_client: TestClient) -> None:
    create(app_client, "cached", "first {{ x }}")
    body = {"model": "fake/echo", "prompt": "cached", "variables": {"x": "run"}}
    for _ in range(2):  # the second run is served from the caches
        assert ok(app_client.post(EXECUTE, json=body))["output"] == "first run"
    ok(app_client.patch(f"{PROMPTS}/cached", json={"content": "second {{ x }}"}))
    assert ok(app_client.post(EXECUTE, json=body))["output"] == "second run"

    production = {**body, "label": "production"}
    ok(set_label(app_client, "cached", "production", 1))
    assert ok(app_client.post(EXECUTE, json=production))["output"] == "first run"
    ok(set_label(app_client, "cached", "production", 2))
    assert ok(app_client.post(EXECUTE, json=production))["output"] == "second run"
    # other variables: rendered anew, not the cached text
    other = {**production, "variables": {"x": "again"}}
    assert ok(app_client.post(EXECUTE, json=other))["output"] == "second again"

    ok(app_client.delete(f"{PROMPTS}/cached"), 204)
    error(app_client.post(EXECUTE, json=body), 404)


def test_a_run_of_a_prompt_that_includes_another_sees_the_included_ones_changes(
    app_client: TestClient,
) -> None:
    create(app_client, "tone", "Be brief.")
    create(app_client, "outer", '{% include "prompt:tone@latest" %} Answer {{ q }}')
    body = {"model": "fake/echo", "prompt": "outer", "variables": {"q": "this"}}
    assert ok(app_client.post(EXECUTE, json=body))["output"] == "Be brief. Answer this"
    ok(app_client.patch(f"{PROMPTS}/tone", json={"content": "Be kind."}))
    assert ok(app_client.post(EXECUTE, json=body))["output"] == "Be kind. Answer this"
