"""`promptyard db upgrade|current` on a fresh SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from promptyard.cli.main import app


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
