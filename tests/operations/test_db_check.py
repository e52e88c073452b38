"""``promptyard db check``: version hashes, label targets, the audit chain and foreign
keys, damaged by hand in a real database and found; exit 1 while anything is left."""

from __future__ import annotations

import json
import sqlite3

from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from promptyard.cli.main import app
from promptyard.services.context import Core
from promptyard.services.operations import integrity
from promptyard.store.models import SqlAuditEvent, SqlLabel, SqlVersion
from tests.api._helpers import create, ok, patch, set_label


def _check(core: Core) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(
        app, ["db", "check", "--database-url", core.store.url, "--json"], env={"COLUMNS": "200"}
    )
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def test_a_healthy_database_passes(app_client: TestClient, core: Core) -> None:
    create(app_client, "p", "one")
    ok(patch(app_client, "p", content="two"))
    ok(set_label(app_client, "p", "production", 1))
    assert integrity.check_database(core) == []
    result = CliRunner().invoke(app, ["db", "check", "--database-url", core.store.url])
    assert result.exit_code == 0, result.output
    assert "the audit chain and foreign keys check out" in result.stdout


def test_damage_is_found_and_reported(app_client: TestClient, core: Core) -> None:
    create(app_client, "p", "one")
    ok(patch(app_client, "p", content="two"))
    ok(set_label(app_client, "p", "production", 1))
    with core.store.write() as session:
        session.execute(
            update(SqlVersion).where(SqlVersion.number == 1).values(content="edited by hand")
        )
        session.execute(update(SqlLabel).where(SqlLabel.name == "production").values(version=9))
        session.execute(
            update(SqlAuditEvent).where(SqlAuditEvent.seq == 2).values(actor="someone-else")
        )
    code, findings = _check(core)
    assert code == 1
    by_column = {(f["table"], f["column"]): f for f in findings}
    assert "is not the content's hash" in str(
        by_column[("prompt_versions", "content_hash")]["problem"]
    )
    assert "version 9, which does not exist" in str(by_column[("labels", "version")]["problem"])
    assert by_column[("audit_events", "hash")]["where"] == "audit event 2"
    assert all(f["repairable"] is False for f in findings)
    text_run = CliRunner().invoke(
        app, ["db", "check", "--database-url", core.store.url], env={"COLUMNS": "250"}
    )
    assert text_run.exit_code == 1 and "restore a backup" in text_run.stdout


def test_rows_naming_missing_rows_are_found(app_client: TestClient, core: Core) -> None:
    create(app_client, "p", "one")
    orphan_row = (
        "INSERT INTO label_events (prompt_id, label, from_version, to_version, actor,"
        " created_at) VALUES (424242, 'x', NULL, 1, 'key:x', '2026-01-01 00:00:00')"
    )
    if core.store.is_sqlite:  # a connection with foreign keys off, as SQLite's default
        raw = sqlite3.connect(str(make_url(core.store.url).database))
        raw.execute(orphan_row)
        raw.commit()
        raw.close()
    else:  # as a restore with triggers off, or a hand edit, could leave it
        with core.store.write_engine.begin() as connection:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(text(orphan_row))
    code, findings = _check(core)
    assert code == 1
    [orphan] = [f for f in findings if f["table"] == "label_events"]
    assert orphan["column"] == "prompt_id" and "names no row of prompts" in str(orphan["problem"])
