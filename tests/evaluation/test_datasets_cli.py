"""`promptyard dataset` against a live server, and the SDK's dataset methods."""

from __future__ import annotations

import json
from pathlib import Path

from promptyard import Client
from tests._server import LiveServer
from tests.cli._cli import Cli


def _cli(server: LiveServer) -> Cli:
    return Cli({**server.env(), "PROMPTYARD_PROJECT": "default", "COLUMNS": "200"})


def test_import_show_export_and_a_bad_file(live_server: LiveServer, tmp_path: Path) -> None:
    cli = _cli(live_server)
    source = tmp_path / "qa.csv"
    source.write_text("id,question,expected\nq1,2+2?,4\nq2,3+3?,6\n")
    done = cli("dataset", "import", "qa", str(source))
    assert "qa@1: imported 2 cases" in done.stdout
    listed = cli.json("dataset", "list")
    assert [(d["name"], d["case_count"]) for d in listed["items"]] == [("qa", 2)]
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({"input": {"question": "1+1?"}, "expected": "2"}) + "\n")
    cli("dataset", "import", "qa", str(more))
    shown = cli("dataset", "show", "qa@1")
    assert "qa@1: 2 cases" in shown.stdout and "q2" in shown.stdout
    assert [v["version"] for v in cli.json("dataset", "versions", "qa")] == [2, 1]
    exported = tmp_path / "out.json"
    cli("dataset", "export", "qa@1", "-o", str(exported))
    assert [c["id"] for c in json.loads(exported.read_text())] == ["q1", "q2"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input": {}}\n{"input": 5}\n')
    failed = cli("dataset", "import", "qa", str(bad), code=1)
    assert "row 2" in failed.stderr and "'input'" in failed.stderr
    assert cli.json("dataset", "show", "qa")["latest_version"] == 2


def test_sdk_round_trip(live_server: LiveServer) -> None:
    env = live_server.env()
    with Client(env["PROMPTYARD_URL"], env["PROMPTYARD_API_KEY"]) as client:
        client.create_dataset("sdk", [{"id": "a", "input": {"x": "1"}, "expected": "1"}])
        client.add_cases("sdk", [{"id": "b", "input": {"x": "2"}}])
        client.update_case("sdk", "b", expected="2")
        assert client.get_dataset("sdk")["version"] == 3
        assert client.get_dataset("sdk", version=1)["version_case_count"] == 1
        assert b'"id": "b"' in client.export_dataset("sdk", format="jsonl")
        score = client.test_evaluator("exact_match", "1", expected="1")
        assert score["passed"] is True
        kinds = {e["kind"] for e in client.list_evaluators()}
        assert "rouge_l" in kinds
