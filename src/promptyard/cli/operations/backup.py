"""``promptyard backup create|list|verify|restore``: online backups of the configured
database, to a folder or an S3-compatible store (run where the database is reachable,
like ``promptyard db``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table
from rich.text import Text

from promptyard.cli._common import fail, out
from promptyard.cli.operations.db import DatabaseUrlOpt, safe_url

if TYPE_CHECKING:
    from promptyard.config import Settings

T = TypeVar("T")

backup_app = typer.Typer(
    help="Online backups of the database: create, list, verify, restore.", no_args_is_help=True
)

LocationOpt = Annotated[
    str | None,
    typer.Option(
        "--to",
        "--from",
        help="A folder or s3://bucket/prefix (default: PROMPTYARD_BACKUP_URL, or the "
        "backups folder in PROMPTYARD_DATA_DIR).",
        show_default=False,
    ),
]
NameArg = Annotated[str, typer.Argument(help="The backup's name (see `promptyard backup list`).")]
AsJsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _settings(database_url: str | None) -> Settings:
    from promptyard.config import load_settings

    return load_settings(database_url=database_url) if database_url else load_settings()


def _run(action: Callable[[], T]) -> T:
    """Call ``action()``; a backup, store or database error exits 1 with its message."""
    from sqlalchemy.exc import SQLAlchemyError

    from promptyard.services.operations.backup import BackupError
    from promptyard.services.operations.backup_stores import BackupStoreError

    try:
        return action()
    except (BackupError, BackupStoreError, ValueError) as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"database error: {getattr(exc, 'orig', None) or exc}")


@backup_app.command("create")
def create(
    location: LocationOpt = None,
    keep: Annotated[
        int | None,
        typer.Option(
            "--keep", min=1, help="Keep this many backups (default: PROMPTYARD_BACKUP_KEEP)."
        ),
    ] = None,
    database_url: DatabaseUrlOpt = None,
    as_json: AsJsonOpt = False,
) -> None:
    """Back up the database while the server keeps running (SQLite backup API, or
    pg_dump), compressed and checksummed; then delete backups beyond --keep."""
    from promptyard.services.operations import backup

    settings = _settings(database_url)
    info = _run(lambda: backup.create_backup(settings, to=location, keep=keep))
    if as_json:
        typer.echo(json.dumps(info.to_dict(), indent=2))
        return
    manifest = info.manifest
    assert manifest is not None
    out().print(
        Text(
            f"backed up {safe_url(settings.resolved_database_url())} to {info.location}/"
            f"{info.name} ({manifest.size:,} bytes, {manifest.counts.get('prompts', 0)} "
            f"prompt(s), schema {manifest.schema_revision}, sha256 {manifest.sha256[:12]}…)"
        )
    )


@backup_app.command("list")
def list_(location: LocationOpt = None, as_json: AsJsonOpt = False) -> None:
    """List the backups, oldest first (manifests only: run verify to check them)."""
    from promptyard.services.operations import backup

    found = _run(lambda: backup.list_backups(_settings(None), location=location))
    if as_json:
        typer.echo(json.dumps([item.to_dict() for item in found], indent=2))
        return
    table = Table("created", "database", "schema", "bytes", "prompts", "name", box=None)
    table.columns[-1].no_wrap = True
    for item in found:
        manifest = item.manifest
        if manifest is None:
            table.add_row(
                Text(f"unreadable: {item.problem}"), "", "", str(item.size), "", item.name
            )
            continue
        table.add_row(
            manifest.created_at[:19].replace("T", " "),
            manifest.dialect,
            str(manifest.schema_revision),
            f"{manifest.size:,}",
            str(manifest.counts.get("prompts", 0)),
            item.name,
        )
    console = out()
    console.print(table)
    console.print(Text(f"{len(found)} backup(s)"))


@backup_app.command("verify")
def verify(name: NameArg, location: LocationOpt = None, as_json: AsJsonOpt = False) -> None:
    """Check a backup end to end: manifest, size, SHA-256, and the database inside;
    exit 1 and say what is wrong when it is damaged."""
    from promptyard.services.operations import backup

    manifest = _run(lambda: backup.verify(_settings(None), name, location=location))
    if as_json:
        typer.echo(json.dumps(manifest.to_dict(), indent=2))
        return
    out().print(
        Text(
            f"{name} is intact: {manifest.dialect}, schema {manifest.schema_revision}, "
            f"{manifest.size:,} bytes, sha256 {manifest.sha256}"
        )
    )


@backup_app.command("restore")
def restore(
    name: NameArg,
    location: LocationOpt = None,
    database_url: DatabaseUrlOpt = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Overwrite a target database that already holds data."),
    ] = False,
    as_json: AsJsonOpt = False,
) -> None:
    """Restore a backup into the database (default: the configured one), after checking
    it; refuses a target holding data unless --replace. Migrates it to the current
    schema afterwards."""
    from dataclasses import asdict

    from promptyard.services.operations import backup

    settings = _settings(None)
    result = _run(
        lambda: backup.restore(
            settings, name, database_url=database_url, location=location, replace=replace
        )
    )
    if as_json:
        data = asdict(result)
        data["target"] = safe_url(result.target)
        typer.echo(json.dumps(data, indent=2))
        return
    counts = ", ".join(f"{count} {table}" for table, count in result.counts.items())
    line = f"restored {name} into {safe_url(result.target)}: {counts}"
    if result.upgraded_to:
        line += f"; migrated to schema {result.upgraded_to}"
    if result.audit_checkpoint:
        line += (
            f"; the audit chain went back to sequence {result.audit_checkpoint['seq']}, "
            "signed a new checkpoint of it"
        )
    out().print(Text(line))


def register(app: typer.Typer) -> None:
    """Add ``promptyard backup`` to the main app."""
    app.add_typer(backup_app, name="backup")
