"""Annotation queues through the real app and database: queues with the judge's rubric,
items from ids, a run or a filter, working a queue (locks, leases, expiry, skip, the
required number of people), scores of source ``human``, races and access."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from promptyard.domain.actor import RequestContext
from promptyard.server.app import create_app
from promptyard.services.context import Core
from promptyard.services.evaluation import annotation_work
from promptyard.services.evaluation.annotation_schemas import Submission
from promptyard.services.identity import auth
from tests._factories import project_id
from tests.api._helpers import API, error, ok
from tests.conftest import API_KEY
from tests.evaluation._runs_helpers import body as run_body
from tests.evaluation._runs_helpers import finish, make_dataset, make_prompt
from tests.security._setup import add_key, default_workspace_id, other_workspace

Q = f"{API}/annotation-queues"
RUBRIC = {
    "criteria": [
        {"name": "correctness", "description": "Answers the question correctly."},
        {"name": "tone", "description": "Warm and concise.", "weight": 2},
    ],
    "scale_min": 1,
    "scale_max": 5,
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _client(core: Core, token: str = API_KEY) -> TestClient:
    return TestClient(
        create_app(core, static_dir=None),
        headers={"Authorization": f"Bearer {token}"},
        raise_server_exceptions=False,
    )


def _generations(client: TestClient, count: int, prompt: str = "support") -> list[str]:
    items = [
        {
            "id": f"g{i}",
            "model": "gpt-4o",
            "prompt_name": prompt,
            "input": f"question {i}",
            "output": f"answer {i}",
        }
        for i in range(count)
    ]
    ok(client.post(f"{API}/generations/batch", json={"generations": items}))
    return [item["id"] for item in items]


def _keys(core: Core) -> dict[str, str]:
    workspace = default_workspace_id(core)
    return {
        name: add_key(core, role=role, workspace_id=workspace, name=name)
        for name, role in (
            ("ann1", "editor"),
            ("ann2", "editor"),
            ("lead", "reviewer"),
            ("view", "viewer"),
        )
    }


def _queue(client: TestClient, required: int = 2, **extra: Any) -> dict[str, Any]:
    body = {"name": "replies", "rubric": RUBRIC, "annotators_required": required, **extra}
    return dict(ok(client.post(Q, json=body), 201))


def test_queue_lifecycle_scores_and_done(core: Core) -> None:
    clock = Clock()
    timed = replace(core, clock=clock)
    keys = _keys(core)
    with (
        _client(timed) as admin,
        _client(timed, keys["ann1"]) as a1,
        _client(timed, keys["ann2"]) as a2,
    ):
        ids = _generations(admin, 3)
        queue = _queue(admin)
        assert queue["rubric"]["criteria"][1]["weight"] == 2
        assert queue["lease_seconds"] == 600
        error(admin.post(Q, json={"name": "replies"}), 409)
        error(admin.post(Q, json={"name": "bad", "rubric": {**RUBRIC, "scale_min": 5}}), 422)
        qid = queue["id"]
        added = ok(admin.post(f"{Q}/{qid}/items", json={"generation_ids": ids}), 201)
        assert added == {"added": 3, "skipped": 0, "total": 3}
        again = ok(admin.post(f"{Q}/{qid}/items", json={"generation_ids": ids[:1]}), 201)
        assert again == {"added": 0, "skipped": 1, "total": 3}
        error(admin.post(f"{Q}/{qid}/items", json={"generation_ids": ["nope"]}), 404)
        error(admin.post(f"{Q}/{qid}/items", json={"generation_ids": ids, "prompt": "x"}), 422)

        first = ok(a1.post(f"{Q}/{qid}/next"))["work"]
        assert first["output"] == "answer 0" and first["input"] == "question 0"
        assert first["rubric"]["criteria"][0]["name"] == "correctness"
        assert first["remaining"] == 3
        # the same person asking again gets the item they hold, not a second one
        assert ok(a1.post(f"{Q}/{qid}/next"))["work"]["item"]["id"] == first["item"]["id"]
        # a second person works another slot of the same item at the same time
        second = ok(a2.post(f"{Q}/{qid}/next"))["work"]
        assert second["item"]["id"] == first["item"]["id"]
        item = first["item"]["id"]

        bad = {"scores": {"correctness": 4}}
        assert "tone" in error(a1.post(f"{Q}/{qid}/items/{item}/scores", json=bad), 422)["message"]
        bad = {"scores": {"correctness": 4, "tone": 9}}
        error(a1.post(f"{Q}/{qid}/items/{item}/scores", json=bad), 422, "score_out_of_scale")
        bad = {"scores": {"correctness": 4, "tone": 3, "x": 1}}
        error(a1.post(f"{Q}/{qid}/items/{item}/scores", json=bad), 422, "unknown_criterion")

        body = {"scores": {"correctness": 4, "tone": 2}, "comment": "ok"}
        done1 = ok(a1.post(f"{Q}/{qid}/items/{item}/scores", json=body), 201)
        # weighted: (0.75 * 1 + 0.25 * 2) / 3
        assert abs(done1["value"] - (0.75 + 0.5) / 3) < 1e-9
        assert done1["item"]["status"] == "pending" and done1["item"]["submitted"] == 1
        error(a1.post(f"{Q}/{qid}/items/{item}/scores", json=body), 409, "not_locked")
        done2 = ok(a2.post(f"{Q}/{qid}/items/{item}/scores", json=body), 201)
        assert done2["item"]["status"] == "done" and done2["item"]["submitted"] == 2

        stored = ok(admin.get(f"{API}/scores", params={"source": "human", "limit": 100}))["items"]
        assert len(stored) == 6  # two people x (two criteria + the whole)
        names = {s["name"] for s in stored}
        assert names == {"replies", "replies.correctness", "replies.tone"}
        tone = next(s for s in stored if s["name"] == "replies.tone")
        assert tone["generation_id"] == "g0" and tone["value"] == 0.25
        assert tone["details"]["score"] == 2 and tone["reason"] == "ok"
        assert {s["created_by"] for s in stored} == {"key:ann1", "key:ann2"}

        # a1 goes on with the next item, skips it, and is not offered it again
        nxt = ok(a1.post(f"{Q}/{qid}/next"))["work"]["item"]["id"]
        assert nxt != item
        skipped = ok(a1.post(f"{Q}/{qid}/items/{nxt}/skip"))
        assert skipped["claims"][0]["status"] == "skipped"
        third = ok(a1.post(f"{Q}/{qid}/next"))["work"]["item"]["id"]
        assert third not in (item, nxt)
        ok(a1.post(f"{Q}/{qid}/items/{third}/skip"))
        empty = ok(a1.post(f"{Q}/{qid}/next"))
        assert empty["work"] is None and "nothing left" in empty["reason"]

        shown = ok(admin.get(f"{Q}/{qid}"))["counts"]
        assert shown == {"items": 3, "done": 1, "pending": 2, "locked": 0, "submissions": 2}
        listed = ok(admin.get(f"{Q}/{qid}/items", params={"status": "done"}))
        assert listed["total"] == 1 and listed["items"][0]["id"] == item
        # lowering the people needed closes items that reach it; raising reopens them
        ok(admin.patch(f"{Q}/{qid}", json={"annotators_required": 3}))
        assert ok(admin.get(f"{Q}/{qid}"))["counts"]["done"] == 0
        assert admin.delete(f"{Q}/{qid}").status_code == 204
        error(admin.get(f"{Q}/{qid}"), 404)
        # the scores stay
        assert len(ok(admin.get(f"{API}/scores", params={"source": "human"}))["items"]) == 6


def test_lock_lease_expiry_and_reclaim(core: Core) -> None:
    clock = Clock()
    timed = replace(core, clock=clock)
    keys = _keys(core)
    with (
        _client(timed) as admin,
        _client(timed, keys["ann1"]) as a1,
        _client(timed, keys["ann2"]) as a2,
    ):
        ids = _generations(admin, 1)
        qid = _queue(admin, required=1, lease_seconds=120)["id"]
        ok(admin.post(f"{Q}/{qid}/items", json={"generation_ids": ids}), 201)
        held = ok(a1.post(f"{Q}/{qid}/next"))["work"]
        item = held["item"]["id"]
        assert held["locked_until"].startswith("2026-12-01T12:02:00")
        # the only slot is locked: the other person gets nothing, and is told why
        busy = ok(a2.post(f"{Q}/{qid}/next"))
        assert busy["work"] is None and "others" in busy["reason"]
        assert ok(admin.get(f"{Q}/{qid}"))["counts"]["locked"] == 1
        clock.advance(100)
        renewed = ok(a1.post(f"{Q}/{qid}/items/{item}/lease"))
        assert renewed["locked_until"].startswith("2026-12-01T12:03:40")
        clock.advance(100)  # still inside the renewed lease
        assert ok(a2.post(f"{Q}/{qid}/next"))["work"] is None
        clock.advance(30)  # expired: the other person reclaims the slot
        taken = ok(a2.post(f"{Q}/{qid}/next"))["work"]
        assert taken["item"]["id"] == item
        late = {"scores": {"correctness": 3, "tone": 3}}
        error(a1.post(f"{Q}/{qid}/items/{item}/scores", json=late), 409, "not_locked")
        error(a1.post(f"{Q}/{qid}/items/{item}/lease"), 409, "not_locked")
        ok(a2.post(f"{Q}/{qid}/items/{item}/scores", json=late), 201)
        assert ok(admin.get(f"{Q}/{qid}"))["counts"]["done"] == 1


def _actor_ctx(core: Core, token: str) -> RequestContext:
    return RequestContext(actor=auth.authenticate_api_key(core, token))


def test_two_annotators_racing_never_share_a_slot(core: Core) -> None:
    """Threads claiming and scoring at once, through the service on the real database:
    every item is scored by exactly the required number of different people, and no
    slot is ever held by two people."""
    keys = _keys(core)
    with _client(core) as admin:
        ids = _generations(admin, 12)
        qid = _queue(admin, required=1)["id"]
        ok(admin.post(f"{Q}/{qid}/items", json={"generation_ids": ids}), 201)
    project = project_id(core)
    people = [_actor_ctx(core, keys["ann1"]), _actor_ctx(core, keys["ann2"])]
    scored: dict[str, list[int]] = {"key:ann1": [], "key:ann2": []}
    barrier = threading.Barrier(len(people))
    failures: list[BaseException] = []

    def work(ctx: RequestContext) -> None:
        try:
            barrier.wait()
            while True:
                found = annotation_work.next_item(core, ctx, project, qid)
                if found.work is None:
                    return
                item = found.work.item.id
                body = Submission(scores={"correctness": 3, "tone": 4})
                annotation_work.submit(core, ctx, project, qid, item, body)
                scored[ctx.actor.ref].append(item)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(ctx,)) for ctx in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures
    everything = scored["key:ann1"] + scored["key:ann2"]
    assert len(everything) == 12 and len(set(everything)) == 12
    with _client(core) as admin:
        counts = ok(admin.get(f"{Q}/{qid}"))["counts"]
        assert counts["done"] == 12 and counts["submissions"] == 12


def test_racing_for_the_last_slot(core: Core) -> None:
    """Many people ask for one item with one slot at the same moment: one gets it."""
    workspace = default_workspace_id(core)
    tokens = [add_key(core, role="editor", workspace_id=workspace, name=f"r{i}") for i in range(4)]
    with _client(core) as admin:
        ids = _generations(admin, 1)
        qid = _queue(admin, required=1)["id"]
        ok(admin.post(f"{Q}/{qid}/items", json={"generation_ids": ids}), 201)
    project = project_id(core)
    contexts = [_actor_ctx(core, t) for t in tokens]
    barrier = threading.Barrier(len(contexts))
    got: list[bool] = []

    def claim(ctx: RequestContext) -> None:
        barrier.wait()
        got.append(annotation_work.next_item(core, ctx, project, qid).work is not None)

    threads = [threading.Thread(target=claim, args=(ctx,)) for ctx in contexts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(got) == [False, False, False, True]


def test_items_from_a_run_and_a_filter(core: Core) -> None:
    with _client(core) as admin:
        make_prompt(admin)
        make_dataset(core, count=4)
        run = ok(admin.post(f"{API}/evaluations", json=run_body()), 201)
        assert finish(core, run["id"])["status"] == "completed"
        qid = _queue(admin)["id"]
        added = ok(admin.post(f"{Q}/{qid}/items", json={"run_id": run["id"], "variant": 0}), 201)
        assert added["added"] == 4
        items = ok(admin.get(f"{Q}/{qid}/items"))["items"]
        assert all(i["run_id"] == run["id"] and i["case_id"] for i in items)
        work = ok(admin.post(f"{Q}/{qid}/next"))["work"]
        assert work["expected"] is not None
        error(admin.post(f"{Q}/{qid}/items", json={"run_id": 999999}), 404)
        error(admin.post(f"{Q}/{qid}/items", json={"variant": 1, "prompt": "p"}), 422)
        _generations(admin, 5, prompt="other")
        by_filter = ok(admin.post(f"{Q}/{qid}/items", json={"prompt": "other", "limit": 3}), 201)
        assert by_filter["added"] == 3


def test_other_workspace_and_weaker_roles(core: Core) -> None:
    keys = _keys(core)
    other = other_workspace(core)
    with (
        _client(core) as admin,
        _client(core, keys["view"]) as viewer,
        _client(core, keys["ann1"]) as editor,
        _client(core, keys["lead"]) as lead,
        _client(core, other) as stranger,
    ):
        ids = _generations(admin, 2)
        queue = ok(lead.post(Q, json={"name": "lead-queue", "rubric": RUBRIC}), 201)
        qid = queue["id"]
        ok(lead.post(f"{Q}/{qid}/items", json={"generation_ids": ids}), 201)
        # an editor annotates but cannot make or fill queues
        error(editor.post(Q, json={"name": "mine"}), 403, "forbidden")
        error(editor.post(f"{Q}/{qid}/items", json={"generation_ids": ids}), 403)
        ok(editor.post(f"{Q}/{qid}/next"))
        # a viewer reads queues and agreement but scores nothing
        assert ok(viewer.get(f"{Q}/{qid}"))["name"] == "lead-queue"
        ok(viewer.get(f"{Q}/{qid}/agreement"))
        error(viewer.post(f"{Q}/{qid}/next"), 403, "forbidden")
        # another workspace sees none of it, by id or through its own project
        for call in (
            stranger.get(f"{Q}/{qid}", params={"project": "default"}),
            stranger.post(f"{Q}/{qid}/next", params={"project": "default"}),
        ):
            assert call.status_code == 404
        assert ok(stranger.get(Q, params={"project": "other"}))["items"] == []
        error(stranger.get(f"{Q}/{qid}", params={"project": "other"}), 404)
        error(stranger.post(f"{Q}/{qid}/next", params={"project": "other"}), 404)
        error(
            stranger.post(
                f"{Q}/{qid}/items/1/scores",
                params={"project": "other"},
                json={"scores": {"correctness": 1, "tone": 1}},
            ),
            404,
        )
