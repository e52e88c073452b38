"""Branches from any version, commits on them, and three-way merge back."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.api._helpers import (
    KEY_AUTHOR,
    PROMPTS,
    count_rows,
    create,
    error,
    get,
    ok,
    patch,
    snapshot,
    versions,
)

BASE = "Intro line.\nSecond line.\nThird line.\nFourth line.\nClosing line.\n"


def _branch(client: TestClient, name: str, branch: str, from_version: int) -> dict[str, Any]:
    return ok(
        client.post(
            f"{PROMPTS}/{name}/branches", json={"name": branch, "from_version": from_version}
        ),
        201,
    )


def _merge(client: TestClient, name: str, branch: str, **body: object) -> httpx.Response:
    return client.post(f"{PROMPTS}/{name}/branches/{branch}/merge", json=body)


def test_branch_commit_and_clean_three_way_merge(app_client: TestClient) -> None:
    create(app_client, "doc", BASE, config={"temperature": 0.5, "model": "a"})
    branch = _branch(app_client, "doc", "feature", 1)
    assert branch["name"] == "feature" and branch["base"] == 1 and branch["head"] == 1
    assert branch["created_by"] == KEY_AUTHOR and branch["merged_at"] is None

    theirs = ok(
        patch(
            app_client,
            "doc",
            branch="feature",
            content=BASE.replace("Fourth line.", "Fourth line, edited on the branch."),
            config={"temperature": 0.5, "model": "b"},
            commit_message="on feature",
        )
    )
    assert theirs["version"]["branch"] == "feature" and theirs["version"]["number"] == 2
    assert theirs["latest_version"] == 1  # main did not move
    ok(patch(app_client, "doc", branch="feature", content=theirs["version"]["content"] + "P.S.\n"))
    ours = ok(
        patch(
            app_client,
            "doc",
            content=BASE.replace("Intro line.", "Intro line, edited on main."),
            config={"temperature": 0.9, "model": "a"},
        )
    )
    assert ours["version"]["number"] == 4 and ours["version"]["parent"] == 1

    merged = ok(_merge(app_client, "doc", "feature", commit_message="merge it"))
    version = merged["version"]
    assert version["number"] == 5 and version["branch"] == "main"
    assert version["parent"] == 4 and version["merge_parent"] == 3
    assert version["message"] == "merge it"
    assert version["content"] == (
        "Intro line, edited on main.\nSecond line.\nThird line.\n"
        "Fourth line, edited on the branch.\nClosing line.\nP.S.\n"
    )
    assert version["config"] == {"temperature": 0.9, "model": "b"}
    assert merged["labels"]["latest"] == 5
    assert ok(get(app_client, "doc"))["version"]["content"] == version["content"]

    branches = {b["name"]: b for b in ok(app_client.get(f"{PROMPTS}/doc/branches"))["items"]}
    assert set(branches) == {"main", "feature"}
    assert branches["main"]["head"] == 5
    assert branches["feature"]["head"] == 3 and branches["feature"]["merged_at"] is not None

    # Merging again has nothing to add, and changes nothing.
    before = versions(app_client, "doc")
    err = error(_merge(app_client, "doc", "feature"), 409, "nothing_to_merge")
    assert "feature" in err["message"]
    assert versions(app_client, "doc") == before


def test_conflicting_merge_is_409_with_regions_and_changes_nothing(
    app_client: TestClient, core: Core
) -> None:
    create(app_client, "clash", BASE)
    _branch(app_client, "clash", "rewrite", 1)
    ok(
        patch(
            app_client,
            "clash",
            branch="rewrite",
            content=BASE.replace("Third line.", "Third line (theirs)."),
        )
    )
    ok(patch(app_client, "clash", content=BASE.replace("Third line.", "Third line (ours).")))
    state = snapshot(core)

    err = error(_merge(app_client, "clash", "rewrite"), 409, "merge_conflict")
    details = err["details"]
    assert (details["base"], details["ours"], details["theirs"]) == (1, 3, 2)
    conflicts = details["conflicts"]
    assert len(conflicts) == 1
    region = conflicts[0]
    assert region["where"] == "content"
    assert region["base"] == ["Third line.\n"]
    assert region["ours"] == ["Third line (ours).\n"]
    assert region["theirs"] == ["Third line (theirs).\n"]
    assert region["base_start"] == region["ours_start"] == region["theirs_start"] == 3

    assert snapshot(core) == state
    assert ok(get(app_client, "clash"))["latest_version"] == 3
    branch = next(
        b
        for b in ok(app_client.get(f"{PROMPTS}/clash/branches"))["items"]
        if b["name"] == "rewrite"
    )
    assert branch["merged_at"] is None

    # Resolving on the branch (taking main's line) makes the merge clean.
    ok(
        patch(
            app_client,
            "clash",
            branch="rewrite",
            content=BASE.replace("Third line.", "Third line (ours)."),
        )
    )
    merged = ok(_merge(app_client, "clash", "rewrite"))
    assert merged["version"]["content"] == BASE.replace("Third line.", "Third line (ours).")
    assert merged["version"]["merge_parent"] == 4


def test_config_and_multi_region_conflicts(app_client: TestClient) -> None:
    text = "a\nb\nc\nd\ne\nf\ng\n"
    create(app_client, "cfg", text, config={"temperature": 0.1})
    _branch(app_client, "cfg", "x", 1)
    ok(
        patch(
            app_client,
            "cfg",
            branch="x",
            content="a\nB1\nc\nd\ne\nF1\ng\n",
            config={"temperature": 0.3},
        )
    )
    ok(patch(app_client, "cfg", content="a\nB2\nc\nd\ne\nF2\ng\n", config={"temperature": 0.4}))
    details = error(_merge(app_client, "cfg", "x"), 409, "merge_conflict")["details"]
    regions = details["conflicts"]
    content = [r for r in regions if r["where"] == "content"]
    assert [(r["ours_start"], r["ours"], r["theirs"]) for r in content] == [
        (2, ["B2\n"], ["B1\n"]),
        (6, ["F2\n"], ["F1\n"]),
    ]
    config = [r for r in regions if r["where"] == "config"]
    assert len(config) == 1
    assert config[0]["path"] == "temperature"
    assert (config[0]["base"], config[0]["ours"], config[0]["theirs"]) == (0.1, 0.4, 0.3)


def test_chat_merge_of_different_messages(app_client: TestClient) -> None:
    base = [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "{{ q }}"},
    ]
    create(app_client, "talk", base)
    _branch(app_client, "talk", "tone", 1)
    ok(
        patch(
            app_client,
            "talk",
            branch="tone",
            content=[{"role": "system", "content": "Be very kind."}, base[1]],
        )
    )
    ok(patch(app_client, "talk", content=[*base, {"role": "assistant", "content": "OK."}]))
    merged = ok(_merge(app_client, "talk", "tone"))["version"]
    assert merged["content"] == [
        {"role": "system", "content": "Be very kind."},
        {"role": "user", "content": "{{ q }}"},
        {"role": "assistant", "content": "OK."},
    ]


def test_branch_errors(app_client: TestClient, core: Core) -> None:
    create(app_client, "br", "x")
    _branch(app_client, "br", "one", 1)
    error(
        app_client.post(f"{PROMPTS}/br/branches", json={"name": "one", "from_version": 1}),
        409,
        "already_exists",
    )
    error(app_client.post(f"{PROMPTS}/br/branches", json={"name": "main", "from_version": 1}), 409)
    error(
        app_client.post(f"{PROMPTS}/br/branches", json={"name": "two", "from_version": 7}),
        404,
        "not_found",
    )
    error(
        app_client.post(f"{PROMPTS}/br/branches", json={"name": "bad name", "from_version": 1}),
        422,
        "validation_error",
    )
    error(patch(app_client, "br", branch="nope", content="y"), 404, "not_found")
    error(_merge(app_client, "br", "nope"), 404, "not_found")
    error(_merge(app_client, "br", "one", into="nope"), 404, "not_found")
    error(_merge(app_client, "br", "main", into="main"), 422)
    # A branch with no commits of its own has nothing to merge.
    error(_merge(app_client, "br", "one"), 409, "nothing_to_merge")

    ok(patch(app_client, "br", branch="one", content="y"))
    ok(patch(app_client, "br", content="z"))
    stale = error(_merge(app_client, "br", "one", base_version=1), 409, "stale_version")
    assert stale["details"]["current"] == 3
    ok(app_client.delete(f"{PROMPTS}/br/branches/one"), 204)
    error(app_client.delete(f"{PROMPTS}/br/branches/one"), 404, "not_found")
    error(app_client.delete(f"{PROMPTS}/br/branches/main"), 422)
    names = [b["name"] for b in ok(app_client.get(f"{PROMPTS}/br/branches"))["items"]]
    assert names == ["main"]
    # The versions made on the deleted branch stay in history.
    assert [v["number"] for v in versions(app_client, "br")] == [3, 2, 1]
    assert count_rows(core, "prompt_versions") == 3


def test_repeated_merges_and_merging_main_into_a_branch(app_client: TestClient) -> None:
    create(app_client, "rep", BASE)
    _branch(app_client, "rep", "long", 1)
    ok(patch(app_client, "rep", branch="long", content=BASE.replace("Second", "2nd")))
    ok(patch(app_client, "rep", content=BASE.replace("Closing", "Final")))
    first = ok(_merge(app_client, "rep", "long"))["version"]
    assert first["content"] == BASE.replace("Second", "2nd").replace("Closing", "Final")

    # Keep working on the branch; the next merge starts from the last merged version, so
    # main's earlier change and the branch's new change on the same line do not conflict.
    ok(
        patch(
            app_client,
            "rep",
            branch="long",
            content=BASE.replace("Second", "2nd").replace("Third", "3rd"),
        )
    )
    second = ok(_merge(app_client, "rep", "long"))["version"]
    assert second["content"] == (
        BASE.replace("Second", "2nd").replace("Third", "3rd").replace("Closing", "Final")
    )
    assert second["merge_parent"] == 5 and second["parent"] == first["number"]

    # Merge main into the branch: only the branch moves.
    ok(patch(app_client, "rep", content=second["content"].replace("Intro", "Opening")))
    into_branch = ok(_merge(app_client, "rep", "main", into="long"))
    assert into_branch["version"]["branch"] == "long"
    assert into_branch["version"]["content"].startswith("Opening line.")
    assert into_branch["latest_version"] == 7
    heads = {b["name"]: b["head"] for b in ok(app_client.get(f"{PROMPTS}/rep/branches"))["items"]}
    assert heads == {"main": 7, "long": into_branch["version"]["number"]}

    # Labels may point at branch versions too.
    ok(
        app_client.put(
            f"{PROMPTS}/rep/labels/preview", json={"version": into_branch["version"]["number"]}
        )
    )
    preview = ok(get(app_client, "rep", label="preview"))["version"]
    assert preview["branch"] == "long" and preview["content"] == into_branch["version"]["content"]
