"""`promptyard db upgrade|current` on a fresh SQLite file; `db check` on every backend."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from promptyard.cli.main import app
from promptyard.services.context import Core
from promptyard.store.models import SqlPrompt


def test_upgrade_fresh_sqlite(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"PROMPTYARD_DATA_DIR": str(tmp_path / "data"), "PROMPTYARD_DATABASE_URL": ""}
    before = runner.invoke(app, ["db", "current", "--check"], env=env)
    assert before.exit_code == 1, before.output
    assert "empty database" in before.stdout

    upgraded = runner.invoke(app, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert "upgraded" in upgraded.stdout and "from an empty database" in upgraded.stdout
    database = tmp_path / "data" / "promptyard.db"
    assert database.is_file()
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"prompts", "alembic_version"} <= tables

    again = runner.invoke(app, ["db", "upgrade"], env=env)
    assert again.exit_code == 0 and "up to date" in again.stdout
    current = runner.invoke(app, ["db", "current", "--check"], env=env)
    assert current.exit_code == 0 and "(current)" in current.stdout


def test_database_url_option(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    result = CliRunner().invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "other.db").is_file()


def test_unsupported_url() -> None:
    result = CliRunner().invoke(app, ["db", "upgrade", "--database-url", "mysql://x/y"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot use database mysql://x/y")


def test_db_check_reports_then_repairs_stored_json(app_client: TestClient, core: Core) -> None:
    """``db check`` finds a value reads cannot serve back (issue 15 §4); ``--repair`` fixes
    it; exit 1 while something is left."""
    response = app_client.post("/api/v1/prompts", json={"name": "deep", "content": "x"})
    assert response.status_code == 201, response.text
    with core.store.write() as session:  # as an older server let it be stored
        session.execute(update(SqlPrompt).where(SqlPrompt.name == "deep").values(meta=_nested(300)))
    runner = CliRunner()
    env = {"COLUMNS": "250"}
    url = ["--database-url", core.store.url]

    found = runner.invoke(app, ["db", "check", *url], env=env)
    assert found.exit_code == 1, found.output
    assert "prompts" in found.stdout and "metadata" in found.stdout and "--repair" in found.stdout
    as_json = runner.invoke(app, ["db", "check", *url, "--json"], env=env)
    assert as_json.exit_code == 1
    [finding] = json.loads(as_json.stdout)
    assert finding["table"] == "prompts" and finding["column"] == "metadata"
    assert "24 levels" in finding["problem"] and finding["repaired"] is False

    repaired = runner.invoke(app, ["db", "check", *url, "--repair"], env=env)
    assert repaired.exit_code == 0, repaired.output
    assert "repaired" in repaired.stdout and "restart the server" in repaired.stdout
    clean = runner.invoke(app, ["db", "check", *url], env=env)
    assert clean.exit_code == 0, clean.output
    assert "every stored JSON value can be served back" in clean.stdout
    core.cache.clear()
    assert app_client.get("/api/v1/prompts/deep").json()["metadata"] == {}


def _nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value
