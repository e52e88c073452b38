"""A write that fails part-way leaves nothing behind: no row, no version, no audit event."""

from __future__ import annotations

import copy
import json

from fastapi.testclient import TestClient
from sqlalchemy import text

from promptyard.services.context import Core
from promptyard.services.operations import audit
from tests.api._helpers import (
    API,
    PROMPTS,
    count_rows,
    create,
    error,
    get,
    new_project,
    ok,
    patch,
    set_label,
    snapshot,
)


def _prompt_rows(core: Core, name: str) -> int:
    with core.store.read() as session:
        return int(
            session.execute(
                text("SELECT count(*) FROM prompts WHERE name = :name"), {"name": name}
            ).scalar_one()
        )


def test_failed_create_leaves_no_rows(app_client: TestClient, core: Core) -> None:
    create(app_client, "tone", "Be polite.")
    state = snapshot(core)
    events = count_rows(core, "audit_events")
    for body in (
        {"name": "broken", "content": '{% include "prompt:missing@production" %}', "tags": ["t"]},
        {
            "name": "broken",
            "type": "chat",
            "content": [
                {"role": "system", "content": "fine"},
                {"role": "user", "content": '{% include "prompt:tone@nolabel" %}'},
            ],
            "tags": ["t"],
            "folder": "f",
        },
        {"name": "broken", "content": '{% include "prompt:broken@latest" %}'},
        {"name": "broken", "content": "x" * 100_001},
    ):
        error(app_client.post(PROMPTS, json=body), 422)
        assert _prompt_rows(core, "broken") == 0
        assert count_rows(core, "audit_events") == events
        assert snapshot(core) == state
    error(get(app_client, "broken"), 404)
    assert ok(app_client.get(f"{API}/tags"))["items"] == []
    # The name is still free.
    assert create(app_client, "broken", "now fine")["version"]["number"] == 1
    assert audit.verify(core).ok


def test_failed_update_rolls_back_every_part_of_it(app_client: TestClient, core: Core) -> None:
    create(app_client, "p", "v1", tags=["a"], metadata={"k": 1}, folder="f", description="d")
    before = ok(get(app_client, "p"))
    state = snapshot(core)
    err = error(
        patch(
            app_client,
            "p",
            content='{% include "prompt:ghost@latest" %}',
            tags=["b", "c"],
            metadata={"k": 2},
            folder="g",
            description="changed",
        ),
        422,
        "bad_reference",
    )
    assert "ghost" in err["message"]
    assert snapshot(core) == state
    after = ok(get(app_client, "p"))
    assert after == before
    assert ok(app_client.get(PROMPTS, params={"tag": "b"}))["total"] == 0


def test_failed_rollback_into_a_cycle_leaves_nothing(app_client: TestClient, core: Core) -> None:
    create(app_client, "a", "A plain")
    ok(set_label(app_client, "a", "production", 1))
    create(app_client, "b", 'B {% include "prompt:a@production" %}')
    ok(patch(app_client, "b", content="B plain"))
    ok(patch(app_client, "a", content='A {% include "prompt:b@latest" %}'))
    ok(set_label(app_client, "a", "production", 2))
    state = snapshot(core)
    # b@v1 includes a@production, which includes b@latest: rolling b back closes a cycle.
    error(app_client.post(f"{PROMPTS}/b/rollback", json={"version": 1}), 422, "reference_cycle")
    assert snapshot(core) == state
    assert ok(app_client.post(f"{PROMPTS}/a/render", json={}))["rendered"] == "A B plain"


def test_failed_merge_leaves_the_branch_unmerged(app_client: TestClient, core: Core) -> None:
    create(app_client, "part", "P")
    create(app_client, "doc", "line 1\nline 2\n")
    ok(app_client.post(f"{PROMPTS}/doc/branches", json={"name": "exp", "from_version": 1}), 201)
    ok(
        patch(
            app_client,
            "doc",
            branch="exp",
            content='line 1\nline 2\n{% include "prompt:part@latest" %}\n',
        )
    )
    ok(app_client.delete(f"{PROMPTS}/part"), 204)
    state = snapshot(core)
    error(app_client.post(f"{PROMPTS}/doc/branches/exp/merge", json={}), 422, "bad_reference")
    assert snapshot(core) == state
    branch = next(
        b for b in ok(app_client.get(f"{PROMPTS}/doc/branches"))["items"] if b["name"] == "exp"
    )
    assert branch["merged_at"] is None and branch["head"] == 2
    assert ok(get(app_client, "doc"))["latest_version"] == 1


def test_import_with_one_bad_prompt_in_the_middle_imports_nothing(
    app_client: TestClient, core: Core
) -> None:
    for name in ("alpha", "bravo", "charlie"):
        create(app_client, name, f"{name} text", tags=[name])
        ok(patch(app_client, name, content=f"{name} text v2"))
    bundle = app_client.get(f"{API}/projects/default/export").json()
    assert [p["name"] for p in bundle["prompts"]] == ["alpha", "bravo", "charlie"]
    new_project(app_client, "target")
    state = snapshot(core)

    damaged = copy.deepcopy(bundle)
    damaged["prompts"][1]["versions"][1]["content"] = "bravo text, edited after export"
    broken_template = copy.deepcopy(bundle)
    broken_template["prompts"][1]["versions"][0]["content"] = "{% if %}"
    unstorable = copy.deepcopy(bundle)
    unstorable["prompts"][1]["branches"].append(
        copy.deepcopy(unstorable["prompts"][1]["branches"][0])
    )
    for variant in (damaged, broken_template, unstorable):
        response = app_client.post(
            f"{API}/projects/target/import",
            content=json.dumps(variant).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code >= 400
        assert snapshot(core) == state
        listed = ok(app_client.get(PROMPTS, params={"project": "target", "deleted": "include"}))
        assert listed["total"] == 0
    assert audit.verify(core).ok
