"""``promptyard db check`` verifies the rollups, ``--repair`` and ``analytics rebuild``
rebuild them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from promptyard.cli.main import app
from promptyard.services.context import Core
from promptyard.store.models import SqlRollup

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_db_check_finds_drifted_rollups_and_repair_rebuilds_them(
    app_client: TestClient, core: Core
) -> None:
    core.clock = lambda: NOW
    items = [
        {
            "id": f"g{i}",
            "model": "gpt-4o",
            "input_tokens": 10 + i,
            "output_tokens": 5,
            "latency_ms": 100.0 + i,
            "user_id": f"u{i % 4}",
            "start_time": (NOW - timedelta(hours=i)).isoformat(),
        }
        for i in range(40)
    ]
    response = app_client.post("/api/v1/generations/batch", json={"generations": items})
    assert response.status_code == 200, response.text
    runner = CliRunner()
    env = {"COLUMNS": "250"}
    url = ["--database-url", core.store.url]
    assert runner.invoke(app, ["analytics", "check", *url], env=env).exit_code == 0

    with core.store.write() as session:  # a rollup lost an update
        session.execute(update(SqlRollup).where(SqlRollup.grain == "day").values(input_tokens=1))
    found = runner.invoke(app, ["db", "check", *url], env=env)
    assert found.exit_code == 1, found.output
    assert "analytics_rollups" in found.stdout and "input_tokens" in found.stdout
    assert runner.invoke(app, ["analytics", "check", *url], env=env).exit_code == 1

    repaired = runner.invoke(app, ["db", "check", *url, "--repair"], env=env)
    assert repaired.exit_code == 0, repaired.output
    assert "repaired" in repaired.stdout
    assert runner.invoke(app, ["db", "check", *url], env=env).exit_code == 0

    rebuilt = runner.invoke(app, ["analytics", "rebuild", *url, "--project", "default"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "rebuilt the rollups of 40 generations" in rebuilt.stdout
    missing = runner.invoke(app, ["analytics", "rebuild", *url, "--project", "nope"], env=env)
    assert missing.exit_code == 1
