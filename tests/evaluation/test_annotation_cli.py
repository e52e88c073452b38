"""`promptyard annotation` against a live server, and the SDK's annotation methods: a
queue made, filled with stored generations, worked item by item from the terminal."""

from __future__ import annotations

import httpx

from promptyard import Client
from tests._server import LiveServer
from tests.cli._cli import Cli


def _cli(server: LiveServer) -> Cli:
    return Cli({**server.env(), "PROMPTYARD_PROJECT": "default", "COLUMNS": "200"})


def _generations(server: LiveServer, count: int) -> list[str]:
    items = [
        {
            "id": f"g{i}",
            "model": "gpt-4o",
            "prompt_name": "support",
            "input": f"question {i}",
            "output": f"answer {i}",
        }
        for i in range(count)
    ]
    response = httpx.post(
        f"{server.url}/api/v1/generations/batch",
        json={"generations": items},
        headers={"Authorization": f"Bearer {server.api_key}"},
    )
    assert response.status_code == 200, response.text
    return [item["id"] for item in items]


def test_a_queue_worked_from_the_terminal(live_server: LiveServer) -> None:
    cli = _cli(live_server)
    _generations(live_server, 3)
    made = cli.json(
        "annotation", "create", "support-review",
        "--criterion", "correctness: answers the question",
        "--criterion", "tone: warm and concise",
        "--scale", "1-5",
    )  # fmt: skip
    vague = cli("annotation", "create", "vague", "--criterion", "tone", code=2)
    assert "NAME: what it means" in vague.stderr
    queue = str(made["id"])
    assert [c["name"] for c in made["rubric"]["criteria"]] == ["correctness", "tone"]
    added = cli("annotation", "add", queue, "-g", "g0", "-g", "g1", "-g", "g0")
    assert "added 2 item(s)" in added.stdout
    assert "say which generations" in cli("annotation", "add", queue, code=2).stderr
    listed = cli("annotation", "list")
    assert "support-review" in listed.stdout and "0/2" in listed.stdout

    shown = cli("annotation", "next", queue)
    assert "question 0" in shown.stdout and "answer 0" in shown.stdout
    assert f"annotation score {queue}" in shown.stdout and "correctness=N tone=N" in shown.stdout
    item = str(cli.json("annotation", "next", queue)["item"]["id"])  # the same, renewed

    assert "CRITERION=SCORE" in cli("annotation", "score", queue, item, "tone", code=2).stderr
    missing = cli("annotation", "score", queue, item, "tone=4", code=1)
    assert "correctness" in missing.stderr  # the server names the missing criterion
    scored = cli("annotation", "score", queue, item, "correctness=5", "tone=4", "--comment", "ok")
    assert f"scored item {item}" in scored.stdout and "passes" in scored.stdout

    second = cli.json("annotation", "next", queue)
    assert second["item"]["id"] != int(item) and second["remaining"] == 1
    assert "skipped" in cli("annotation", "skip", queue, str(second["item"]["id"])).stdout
    nothing = cli("annotation", "next", queue, code=3)
    assert "nothing left for you" in nothing.stdout

    detail = cli.json("annotation", "show", queue)
    assert detail["counts"]["done"] == 1 and detail["item_total"] == 2
    agreement = cli.json("annotation", "agreement", queue)
    assert [c["criterion"] for c in agreement["criteria"]] == ["correctness", "tone"]
    assert "criterion" in cli("annotation", "agreement", queue).stdout

    cli("annotation", "delete", queue, "--yes")
    assert cli.json("annotation", "list") == []
    assert f"no annotation queue {queue}" in cli("annotation", "show", queue, code=1).stderr


def test_sdk_round_trip(live_server: LiveServer) -> None:
    _generations(live_server, 2)
    env = live_server.env()
    with Client(env["PROMPTYARD_URL"], env["PROMPTYARD_API_KEY"]) as client:
        queue = client.create_annotation_queue(
            "sdk",
            rubric={
                "criteria": [{"name": "quality", "description": "Helpful and right."}],
                "scale_min": 0,
                "scale_max": 10,
            },
        )
        assert client.add_annotation_items(queue["id"], prompt="support", limit=5)["added"] == 2
        work = client.next_annotation_item(queue["id"])
        assert work is not None and work["rubric"]["scale_max"] == 10
        client.renew_annotation_lease(queue["id"], work["item"]["id"])
        done = client.submit_annotation_scores(queue["id"], work["item"]["id"], {"quality": 3})
        assert done["value"] == 0.3 and done["passed"] is False
        client.skip_annotation_item(
            queue["id"], client.next_annotation_item(queue["id"])["item"]["id"]
        )  # type: ignore[index]
        assert client.next_annotation_item(queue["id"]) is None
        items = client.list_annotation_items(queue["id"], status="done")
        assert [i["id"] for i in items["items"]] == [work["item"]["id"]]
        client.update_annotation_queue(queue["id"], annotators_required=2)
        assert client.get_annotation_queue(queue["id"])["annotators_required"] == 2
        assert [q["name"] for q in client.list_annotation_queues()] == ["sdk"]
        client.delete_annotation_queue(queue["id"])
        assert client.list_annotation_queues() == []
