"""Audit checkpoints through the API, the project export and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from promptyard.services.context import Core
from tests.cli._cli import Cli
from tests.conftest import API_KEY, LiveServer


def _manual_only(core: Core) -> None:
    """No background publication: the test decides when checkpoints are made."""
    core.settings = core.settings.model_copy(
        update={"audit_checkpoint_events": 0, "audit_checkpoint_minutes": 0}
    )


def _writes(client: TestClient, name: str = "a") -> None:
    assert client.post("/api/v1/prompts", json={"name": name, "content": "x"}).status_code == 201
    for content in ("y", "z"):
        assert client.patch(f"/api/v1/prompts/{name}", json={"content": content}).is_success


def _truncate(core: Core, drop: int) -> None:
    with core.store.write() as session:
        keep = session.execute(text("SELECT seq FROM audit_head WHERE id = 1")).scalar_one() - drop
        session.execute(text("DELETE FROM audit_events WHERE seq > :keep"), {"keep": keep})
        session.execute(
            text(
                "UPDATE audit_head SET seq = :keep, "
                "hash = (SELECT hash FROM audit_events WHERE seq = :keep) WHERE id = 1"
            ),
            {"keep": keep},
        )


def test_checkpoint_routes_and_verify(app_client: TestClient, core: Core) -> None:
    _manual_only(core)
    _writes(app_client)
    made = app_client.post("/api/v1/audit/checkpoints")
    assert made.status_code == 201, made.text
    checkpoint = made.json()["checkpoint"]
    assert made.json()["created"] is True
    again = app_client.post("/api/v1/audit/checkpoints")
    assert again.status_code == 200 and again.json() == {"checkpoint": checkpoint, "created": False}

    listed = app_client.get("/api/v1/audit/checkpoints").json()
    assert listed["items"] == [checkpoint]
    assert listed["public_key"] == checkpoint["public_key"]
    assert listed["key_id"] == checkpoint["key_id"]

    verified = app_client.get("/api/v1/audit/verify").json()
    assert verified["ok"] is True
    assert verified["checkpoint"]["seq"] == checkpoint["seq"]
    against = app_client.post("/api/v1/audit/verify", json={"checkpoint": checkpoint}).json()
    assert against["ok"] is True and against["checkpoint"]["source"] == "caller"

    forged = {**checkpoint, "seq": checkpoint["seq"] - 1}
    rejected = app_client.post("/api/v1/audit/verify", json={"checkpoint": forged}).json()
    assert rejected["ok"] is False and "signature" in rejected["reason"]
    bad = app_client.post("/api/v1/audit/verify", json={"checkpoint": {"seq": "x"}})
    assert bad.status_code == 422

    _truncate(core, 2)
    broken = app_client.get("/api/v1/audit/verify").json()
    assert broken["ok"] is False
    assert "truncated" in broken["reason"]
    assert broken["first_broken_seq"] == checkpoint["seq"] - 1
    refused = app_client.post("/api/v1/audit/checkpoints")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "audit_chain_broken"


def test_export_carries_the_latest_checkpoint(app_client: TestClient, core: Core) -> None:
    _manual_only(core)
    _writes(app_client)
    before = app_client.get("/api/v1/projects/default/export").json()
    assert before["audit_checkpoint"] is None
    checkpoint = app_client.post("/api/v1/audit/checkpoints").json()["checkpoint"]
    bundle = app_client.get("/api/v1/projects/default/export").json()
    assert bundle["audit_checkpoint"] == checkpoint
    # A bundle with a checkpoint imports as before (the checkpoint is not imported).
    assert app_client.post("/api/v1/projects", json={"slug": "copy", "name": "C"}).is_success
    imported = app_client.post("/api/v1/projects/copy/import", json=bundle)
    assert imported.status_code == 200, imported.text


def test_cli_checkpoint_and_verify(live_server: LiveServer, core: Core, tmp_path: Path) -> None:
    _manual_only(core)
    cli = Cli({"PROMPTYARD_URL": live_server.url, "PROMPTYARD_API_KEY": API_KEY, "COLUMNS": "200"})
    cli("prompt", "create", "greet", "--content", "Hello")
    cli("prompt", "update", "greet", "--content", "Hello again")
    assert "no checkpoint yet" in cli("audit", "verify").stdout
    made = cli.json("audit", "checkpoint")
    assert made["created"] is True
    seq = made["checkpoint"]["seq"]
    assert f"seq {seq}" in cli("audit", "verify").stdout
    assert made["checkpoint"]["public_key"] in cli("audit", "checkpoint", "--list").stdout
    # An outside copy: the checkpoint file as a backup would hold it, and a webhook body.
    copy = tmp_path / "audit-checkpoints.jsonl"
    copy.write_bytes(
        (Path(core.settings.data_dir) / "backups/audit-checkpoints.jsonl").read_bytes()
    )
    body = tmp_path / "delivery.json"
    body.write_text(json.dumps({"event": "audit.checkpoint", "data": made["checkpoint"]}))
    assert cli.json("audit", "verify", "--checkpoint", str(body))["ok"] is True

    _truncate(core, 1)
    failed = cli("audit", "verify", code=1)
    assert "truncated" in failed.stderr
    assert "truncated" in cli("audit", "verify", "--checkpoint", str(copy), code=1).stderr
    assert "broken" in cli("audit", "checkpoint", code=1).stderr
    nothing = tmp_path / "nothing.json"
    nothing.write_text("{}")
    assert (
        "no audit checkpoint" in cli("audit", "verify", "--checkpoint", str(nothing), code=1).stderr
    )
