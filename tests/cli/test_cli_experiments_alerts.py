"""`promptyard experiment …` and `promptyard alert …` against a live server over a real
database (both databases when PostgreSQL is configured)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from promptyard.domain.experiments import assign
from promptyard.services.alerts import evaluate
from promptyard.services.context import Core
from tests.cli._cli import Cli
from tests.conftest import API_KEY, LiveServer
from tests.experiments._helpers import design


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{live_server.url}/api/v1",
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=60,
    ) as client:
        yield client


@pytest.fixture
def cli(live_server: LiveServer) -> Cli:
    return Cli({"PROMPTYARD_URL": live_server.url, "PROMPTYARD_API_KEY": API_KEY, "COLUMNS": "200"})


def _ok(response: httpx.Response) -> dict:
    assert response.is_success, response.text
    return dict(response.json())


def test_experiment_commands(api: httpx.Client, cli: Cli) -> None:
    _ok(api.post("/prompts", json={"name": "greeting", "content": "Hello {{ who }}"}))
    _ok(api.patch("/prompts/greeting", json={"content": "Hi {{ who }}!"}))
    _ok(api.put("/prompts/greeting/labels/production", json={"version": 1}))
    _ok(api.put("/prompts/greeting/labels/candidate", json={"version": 2}))
    experiment = _ok(api.post("/experiments", json=design()))
    eid = str(experiment["id"])
    _ok(api.post(f"/experiments/{eid}/start"))
    rows = []
    for i in range(200):
        unit = f"user-{i}"
        variant = ["control", "friendly"][assign(experiment["id"], unit, [1, 1])]
        rows.append(
            {"id": f"cli-g{i}", "prompt_name": "greeting", "user_id": unit,
             "experiment_id": experiment["id"], "variant": variant, "latency_ms": 100.0 + i,
             "metadata": {"resolved": int(variant == "friendly" or i % 3 == 0)}}
        )  # fmt: skip
    _ok(api.post("/generations/batch", json={"generations": rows}))

    listed = cli("experiment", "list").stdout
    assert "tone" in listed and "running" in listed and "control, friendly" in listed
    assert cli.json("experiment", "list", "--prompt", "greeting")["items"][0]["id"] == int(eid)
    assert "friendly: label candidate" in cli("experiment", "show", eid).stdout
    analyzed = cli.json("experiment", "analyze", eid)
    assert analyzed["generations"] == 200 and sum(analyzed["units"].values()) == 200
    table = cli("experiment", "analyze", eid).stdout
    assert "meta:resolved" in table and "latency" in table and "verdict:" in table
    stopped = cli.json("experiment", "stop", eid, "--reason", "done")
    assert stopped["status"] == "stopped" and stopped["stop_reason"] == "done"
    promoted = cli("experiment", "promote", eid, "--variant", "friendly").stdout
    assert "label production now points at v2" in promoted
    assert "already" in cli("experiment", "stop", eid, code=1).stderr
    assert "not found" in cli("experiment", "show", "999999", code=1).stderr


def test_alert_commands(api: httpx.Client, cli: Cli, core: Core) -> None:
    rule = _ok(
        api.post(
            "/alert-rules",
            json={"name": "spend", "kind": "cost", "threshold": 0.5, "window_minutes": 60},
        )
    )
    _ok(
        api.post(
            "/generations/batch",
            json={"generations": [{"id": "cost-1", "model": "m", "input_cost": 1.0,
                                   "output_cost": 0.0}]},
        )
    )  # fmt: skip
    assert evaluate.evaluate(core).fired == 1
    rules_out = cli("alert", "rules").stdout
    assert "spend" in rules_out and "gt 0.5" in rules_out and "yes" in rules_out
    assert cli.json("alert", "rules")["items"][0]["id"] == rule["id"]
    page = cli.json("alert", "list", "--state", "open")
    (alert,) = page["items"]
    aid = str(alert["id"])
    assert page["firing"] == 1 and alert["state"] == "firing"
    assert cli.json("alert", "ack", aid)["state"] == "acknowledged"
    silenced = cli("alert", "silence", aid, "--minutes", "30").stdout
    assert "acknowledged, silenced until" in silenced
    assert cli.json("alert", "show", aid)["silenced"] is True
    assert cli.json("alert", "unsilence", aid)["silenced"] is False
    assert "1 open" in cli("alert", "list").stdout
    cli("alert", "silence", aid, "--minutes", "0", code=1)  # the server's 422, not a crash
    cli("alert", "ack", "999999", code=1)
