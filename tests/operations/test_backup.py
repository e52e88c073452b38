"""``promptyard backup create|list|verify|restore`` on SQLite and PostgreSQL: a populated
server backed up while it runs, its data destroyed, restored, every row compared; corrupt
archives and non-empty targets refused; retention."""

from __future__ import annotations

import tarfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from promptyard.config import Settings
from promptyard.services.context import Core
from promptyard.store.models import Base
from tests.api._helpers import create, new_project, ok, patch, set_label
from tests.cli._cli import Cli


def populate(client: TestClient) -> None:
    """Prompts with versions, labels and label moves in two projects (audit events too)."""
    new_project(client, "second")
    for project in (None, "second"):
        for index in range(3):
            name = f"p{index}"
            create(client, name, f"Hello {{{{ name }}}} #{index}", project=project, tags=["a"])
            for step in range(2):
                ok(patch(client, name, project=project, content=f"v{step + 2} of {name}"))
            path = f"/api/v1/prompts/{name}/labels"
            query = f"?project={project}" if project else ""
            ok(client.put(f"{path}/production{query}", json={"version": 1}))
            ok(client.put(f"{path}/production{query}", json={"version": 2}))
    ok(set_label(client, "p0", "staging", 3))


def every_row(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the schema, in a stable order."""
    engine = create_engine(url)
    try:
        present = set(inspect(engine).get_table_names())
        rows: dict[str, list[tuple[Any, ...]]] = {}
        with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                if table.name in present:
                    found = connection.execute(table.select()).all()
                    rows[table.name] = sorted((tuple(row) for row in found), key=repr)
        return rows
    finally:
        engine.dispose()


def destroy(url: str) -> None:
    """Lose the database: the SQLite file (and its WAL), or every PostgreSQL table."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def backup_cli(tmp_path: Path, db_url: str) -> Cli:
    return Cli(
        {
            "PROMPTYARD_DATA_DIR": str(tmp_path / "cli-data"),
            "PROMPTYARD_DATABASE_URL": db_url,
            "PROMPTYARD_BACKUP_URL": str(tmp_path / "backups"),
            "COLUMNS": "200",
        }
    )


def test_backup_of_a_running_server_restores_every_row(
    app_client: TestClient, core: Core, db_url: str, backup_cli: Cli, tmp_path: Path
) -> None:
    populate(app_client)
    before = every_row(db_url)
    assert len(before["prompt_versions"]) == 18 and len(before["label_events"]) >= 13
    assert before["audit_events"]

    created = backup_cli.json("backup", "create")  # the app still holds its connections
    manifest = created["manifest"]
    assert manifest["counts"]["prompts"] == 6 and manifest["counts"]["prompt_versions"] == 18
    assert manifest["schema_revision"] and len(manifest["sha256"]) == 64
    assert manifest["dialect"] == core.store.dialect
    listed = backup_cli.json("backup", "list")
    assert [item["name"] for item in listed] == [created["name"]]
    assert backup_cli.json("backup", "verify", created["name"])["sha256"] == manifest["sha256"]

    core.store.dispose()
    destroy(db_url)
    assert every_row(db_url).get("prompts", []) == []

    restored = backup_cli.json("backup", "restore", created["name"])
    assert restored["counts"] == manifest["counts"]
    assert every_row(db_url) == before
    # The restored database serves the prompts again.
    body = ok(app_client.get("/api/v1/prompts/p0", params={"label": "staging"}))
    assert body["version"]["number"] == 3


def test_restore_into_a_database_with_data_needs_replace(
    app_client: TestClient, core: Core, db_url: str, backup_cli: Cli
) -> None:
    populate(app_client)
    name = backup_cli.json("backup", "create")["name"]
    before = every_row(db_url)
    create(app_client, "added-later", "after the backup")
    core.store.dispose()

    refused = backup_cli("backup", "restore", name, code=1)
    assert "already holds data" in refused.stderr and "--replace" in refused.stderr
    assert "added-later" in str(every_row(db_url)["prompts"])

    backup_cli("backup", "restore", name, "--replace")
    assert every_row(db_url) == before


def _corrupt_payload(path: Path) -> None:
    with tarfile.open(path) as tar:
        payload = tar.getmembers()[1]
    data = bytearray(path.read_bytes())
    data[payload.offset_data + payload.size // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_corrupt_or_truncated_backups_are_refused(
    app_client: TestClient, core: Core, db_url: str, backup_cli: Cli, tmp_path: Path
) -> None:
    populate(app_client)
    good = backup_cli.json("backup", "create")["name"]
    folder = tmp_path / "backups"
    flipped = folder / good.replace("Z.", "1Z.")
    flipped.write_bytes((folder / good).read_bytes())
    _corrupt_payload(flipped)
    truncated = folder / good.replace("Z.", "2Z.")
    truncated.write_bytes((folder / good).read_bytes()[:3000])
    junk = folder / good.replace("Z.", "3Z.")
    junk.write_bytes(b"not a backup at all")
    before = every_row(db_url)
    core.store.dispose()

    for path, words in (
        (flipped, "SHA-256 does not match"),
        (truncated, "incomplete"),
        (junk, "not a complete Promptyard backup"),
    ):
        for command in (("verify",), ("restore", "--replace")):
            result = backup_cli("backup", command[0], path.name, *command[1:], code=1)
            assert words in result.stderr, result.stderr
            assert "Traceback" not in result.stderr
    assert every_row(db_url) == before  # nothing was touched
    listed = {item["name"]: item for item in backup_cli.json("backup", "list")}
    assert listed[junk.name]["manifest"] is None and listed[junk.name]["problem"]
    assert listed[good]["manifest"] is not None


def test_unknown_names_and_retention(
    app_client: TestClient, db_url: str, backup_cli: Cli, tmp_path: Path
) -> None:
    result = backup_cli("backup", "verify", "../etc/passwd", code=1)
    assert "not a backup name" in result.stderr
    result = backup_cli("backup", "restore", "promptyard-19990101T000000.000Z.pybackup", code=1)
    assert "no backup named" in result.stderr
    names = [backup_cli.json("backup", "create", "--keep", "2")["name"] for _ in range(3)]
    assert [item["name"] for item in backup_cli.json("backup", "list")] == names[1:]


def test_a_backup_cannot_be_restored_into_another_kind_of_database(
    app_client: TestClient, core: Core, db_url: str, backup_cli: Cli, tmp_path: Path
) -> None:
    name = backup_cli.json("backup", "create")["name"]
    other = (
        f"sqlite:///{tmp_path / 'other.db'}"
        if core.store.dialect == "postgresql"
        else "postgresql+psycopg://postgres@127.0.0.1:5432/none"
    )
    result = backup_cli("backup", "restore", name, "--database-url", other, code=1)
    assert "cannot be restored into a" in result.stderr


def test_a_backup_taken_during_writes_is_consistent(
    app_client: TestClient, core: Core, db_url: str, settings: Settings, tmp_path: Path
) -> None:
    """Writers keep going while the backup runs; the backup is one consistent moment."""
    from promptyard.services.operations import backup, integrity

    populate(app_client)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        index = 0
        while not stop.is_set():
            response = app_client.post(
                "/api/v1/prompts", json={"name": f"w{index}", "content": "x"}
            )
            assert response.status_code == 201, response.text
            written.append(index)
            index += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:
            time.sleep(0.01)
        location = str(tmp_path / "online")
        infos = [backup.create_backup(settings, to=location) for _ in range(3)]
    finally:
        stop.set()
        thread.join(30)
    assert len(written) > 5
    counts = [info.manifest.counts["prompts"] for info in infos if info.manifest]
    assert counts == sorted(counts) and counts[0] > 6  # taken while prompts were added
    newest = infos[-1].name
    backup.verify(settings, newest, location=location)
    core.store.dispose()
    backup.restore(settings, newest, location=location, replace=True)
    assert integrity.check_database(core) == []
    restored = every_row(db_url)
    assert len(restored["prompts"]) == counts[-1]
    versions = {row[1] for row in restored["prompt_versions"]}
    assert versions == {row[0] for row in restored["prompts"]}  # no prompt without a version


@contextmanager
def _another_database(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as ``db_url``, dropped afterwards."""
    parsed = make_url(db_url)
    if parsed.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'another.db'}"
        return
    name = f"{parsed.database}_another"
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_restoring_to_before_the_latest_checkpoint_re_anchors_the_audit_chain(
    app_client: TestClient, core: Core, db_url: str, settings: Settings, tmp_path: Path
) -> None:
    """Checkpoints signed after the backup name events the restore takes away: the
    restore signs the restored head, so `audit verify` passes and the file keeps both."""
    from promptyard.services.operations import (
        audit,
        audit_checkpoints,
        audit_signing,
        backup,
        integrity,
    )

    populate(app_client)
    location = str(tmp_path / "drill")
    name = backup.create_backup(settings, to=location).name
    backed_up_head = audit.head(core)
    create(app_client, "after-the-backup", "x")
    later, created = audit_checkpoints.create_checkpoint(core)
    assert created and later["seq"] > backed_up_head[0]

    # Into another database (to inspect it): the live chain's checkpoints are left alone.
    with _another_database(db_url, tmp_path) as other:
        elsewhere = backup.restore(settings, name, location=location, database_url=other)
    assert elsewhere.audit_checkpoint is None
    assert audit_signing.latest(settings) == later

    core.store.dispose()
    result = backup.restore(settings, name, location=location, replace=True)
    anchor = result.audit_checkpoint
    assert anchor is not None and (anchor["seq"], anchor["hash"]) == backed_up_head
    assert [item["seq"] for item in audit_signing.recent(settings, 5)][:2] == [
        backed_up_head[0],
        later["seq"],
    ]
    assert audit.verify(core).ok
    assert integrity.check_database(core) == []
    # Restoring the same backup again needs no new checkpoint; new events extend it.
    again = backup.restore(settings, name, location=location, replace=True)
    assert again.audit_checkpoint is None
    create(app_client, "after-the-restore", "x")
    assert audit_checkpoints.create_checkpoint(core)[1]
