"""Backups to an S3-compatible store (moto's server on 127.0.0.1), a backup killed with
SIGKILL half-way, and a pg_dump older than the server."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from promptyard.config import Settings
from promptyard.services.context import Core
from promptyard.services.operations import backup
from tests._server import free_port
from tests.cli._cli import Cli
from tests.conftest import BACKENDS
from tests.operations.test_backup import every_row, populate


@pytest.fixture
def s3_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """A bucket on a local S3-compatible server: ``(s3 url, endpoint)``."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="backups")
        yield "s3://backups/promptyard/nightly", endpoint
    finally:
        server.stop()


def test_backups_to_an_s3_compatible_store(
    app_client: TestClient, core: Core, db_url: str, tmp_path: Path, s3_url: tuple[str, str]
) -> None:
    url, endpoint = s3_url
    cli = Cli(
        {
            "PROMPTYARD_DATA_DIR": str(tmp_path / "cli-data"),
            "PROMPTYARD_DATABASE_URL": db_url,
            "PROMPTYARD_BACKUP_URL": url,
            "PROMPTYARD_BACKUP_S3_ENDPOINT_URL": endpoint,
            "COLUMNS": "200",
        }
    )
    populate(app_client)
    before = every_row(db_url)
    first = cli.json("backup", "create", "--keep", "2")
    names = [first["name"]] + [cli.json("backup", "create", "--keep", "2")["name"] for _ in "ab"]
    listed = cli.json("backup", "list")
    assert [item["name"] for item in listed] == names[1:]
    assert all(
        item["location"] == url and item["manifest"]["counts"]["prompts"] == 6 for item in listed
    )
    cli("backup", "verify", names[-1])

    create_extra = app_client.post("/api/v1/prompts", json={"name": "late", "content": "x"})
    assert create_extra.status_code == 201
    core.store.dispose()
    cli("backup", "restore", names[-1], code=1)  # holds data
    cli("backup", "restore", names[-1], "--replace")
    assert every_row(db_url) == before

    missing = cli("backup", "list", "--from", "s3://no-such-bucket/x", code=1)
    assert "no-such-bucket" in missing.stderr or "NoSuchBucket" in missing.stderr


def _big_sqlite(path: Path, megabytes: int) -> None:
    """A migrated database with ``megabytes`` of poorly compressible rows, so that a
    backup of it takes long enough to be killed half-way."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE ballast (data BLOB)")
    chunk = 1 << 20
    for _ in range(megabytes):
        connection.execute("INSERT INTO ballast VALUES (?)", (os.urandom(chunk),))
    connection.commit()
    connection.close()


def _writing(folder: Path, moment: str) -> bool:
    """Whether a backup is copying the database (``staging``) or writing its archive."""
    for partial in folder.glob(".*.partial") if folder.exists() else []:
        if not partial.is_dir():
            continue
        for inner in partial.iterdir():
            if moment == "staging" and inner.name.startswith("database"):
                return True
            if moment == "archive" and inner.name.endswith(".partial"):
                return inner.stat().st_size > 0
    return False


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the file handling: one kind
def test_a_backup_killed_half_way_leaves_nothing_that_looks_complete(
    core: Core, db_url: str, settings: Settings, tmp_path: Path
) -> None:
    from sqlalchemy.engine import make_url

    _big_sqlite(Path(str(make_url(db_url).database)), 120)
    folder = tmp_path / "backups"
    env = {
        **os.environ,
        "PROMPTYARD_DATA_DIR": str(tmp_path / "cli-data"),
        "PROMPTYARD_DATABASE_URL": db_url,
        "PROMPTYARD_BACKUP_URL": str(folder),
    }
    for moment in ("staging", "archive"):
        process = subprocess.Popen(
            [sys.executable, "-m", "promptyard", "backup", "create"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        try:
            while not _writing(folder, moment):
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"the backup ended before it was seen writing ({moment})")
                time.sleep(0.002)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        assert process.returncode == -signal.SIGKILL
        visible = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
        assert visible == []
        assert all(p.name.endswith(".partial") for p in folder.iterdir())
        assert backup.list_backups(settings, location=str(folder)) == []

    done = backup.create_backup(settings, to=str(folder))
    assert [item.name for item in backup.list_backups(settings, location=str(folder))] == [
        done.name
    ]
    backup.verify(settings, done.name, location=str(folder))


@pytest.mark.parametrize("db_url", [b for b in BACKENDS if b == "postgresql"], indirect=True)
def test_a_pg_dump_older_than_the_server_is_refused(
    core: Core, settings: Settings, tmp_path: Path
) -> None:
    old = tmp_path / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    old.chmod(0o755)
    aged = settings.model_copy(update={"backup_pg_dump": str(old)})
    with pytest.raises(backup.BackupError, match=r"version 9 but the server is PostgreSQL 1\d"):
        backup.create_backup(aged, to=str(tmp_path / "b"))
    missing = settings.model_copy(update={"backup_pg_dump": str(tmp_path / "none")})
    with pytest.raises(backup.BackupError, match="was not found"):
        backup.create_backup(missing, to=str(tmp_path / "b"))
    assert not list((tmp_path / "b").glob("*.pybackup"))
