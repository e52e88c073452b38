"""``promptyard db upgrade|current|check``: the schema and the stored data of the
configured database."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from promptyard.cli._common import fail

if TYPE_CHECKING:
    from promptyard.services.operations.integrity import Finding
    from promptyard.store.engine import Store

app = typer.Typer(help="Database schema migrations and checks.", no_args_is_help=True)

DatabaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (default: PROMPTYARD_DATABASE_URL, or "
        "the SQLite file in PROMPTYARD_DATA_DIR).",
        show_default=False,
    ),
]


def open_store(url: str) -> Store:
    """The store for ``url``, or a readable exit for a URL it cannot use."""
    from promptyard.store.engine import Store

    try:
        return Store(url)
    except (ValueError, ImportError) as exc:
        fail(f"cannot use database {safe_url(url)}: {exc}")


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as given
        return url


def _resolve(database_url: str | None) -> str:
    from promptyard.config import load_settings

    settings = load_settings(database_url=database_url) if database_url else load_settings()
    return settings.resolved_database_url()


@app.command()
def upgrade(database_url: DatabaseUrlOpt = None) -> None:
    """Bring the database schema up to date (safe to run again)."""
    from sqlalchemy.exc import SQLAlchemyError

    from promptyard.store import migrate

    url = _resolve(database_url)
    store = open_store(url)
    try:
        before = migrate.current_revision(store)
        migrate.upgrade(store)
        after = migrate.current_revision(store)
    except SQLAlchemyError as exc:
        fail(f"cannot migrate {safe_url(url)}: {getattr(exc, 'orig', None) or exc}")
    finally:
        store.dispose()
    console = Console(highlight=False)
    if before == after:
        console.print(f"{safe_url(url)} is up to date (revision {after})", soft_wrap=True)
    else:
        console.print(
            f"upgraded {safe_url(url)} from {before or 'an empty database'} to revision {after}",
            soft_wrap=True,
        )


@app.command()
def current(
    database_url: DatabaseUrlOpt = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit with 1 when an upgrade is needed.")
    ] = False,
) -> None:
    """Show the database's schema revision and whether it is current."""
    from sqlalchemy.exc import SQLAlchemyError

    from promptyard.store import migrate

    url = _resolve(database_url)
    store = open_store(url)
    try:
        revision = migrate.current_revision(store)
    except SQLAlchemyError as exc:
        fail(f"cannot read {safe_url(url)}: {getattr(exc, 'orig', None) or exc}")
    finally:
        store.dispose()
    head = migrate.head_revision()
    console = Console(highlight=False)
    if revision == head:
        console.print(f"{safe_url(url)}: revision {revision} (current)", soft_wrap=True)
        return
    console.print(
        f"{safe_url(url)}: revision {revision or 'none (empty database)'}, latest is {head}: "
        "run `promptyard db upgrade`",
        soft_wrap=True,
    )
    if check:
        raise typer.Exit(1)


@app.command()
def check(
    database_url: DatabaseUrlOpt = None,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Replace each value that cannot be served back with a safe placeholder "
            "({} or []), with an audit event per row.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Check the stored data: JSON that reads or exports cannot serve back (too deep,
    not serializable), version content hashes, label targets, the audit hash chain and
    foreign keys; exit 1 while any problem is left.

    Only stored JSON is repaired (--repair); audit summaries and project settings are
    reported, never changed. Restart the server after a repair: its read cache may still
    hold the old values.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from promptyard.config import load_settings
    from promptyard.services.operations.integrity import check_database
    from promptyard.store import migrate
    from promptyard.wiring import build_core

    url = _resolve(database_url)
    store = open_store(url)
    try:
        if migrate.current_revision(store) != migrate.head_revision():
            fail(f"{safe_url(url)} is not at the latest schema: run `promptyard db upgrade`")
        core = build_core(load_settings(database_url=url), store=store)
        findings = check_database(core, repair=repair)
    except SQLAlchemyError as exc:
        fail(f"cannot check {safe_url(url)}: {getattr(exc, 'orig', None) or exc}")
    finally:
        store.dispose()
    left = [finding for finding in findings if not finding.repaired]
    if as_json:
        typer.echo(json.dumps([finding.to_dict() for finding in findings], indent=2))
    else:
        _print_findings(safe_url(url), findings, repair)
    if left:
        raise typer.Exit(1)


def _print_findings(url: str, findings: list[Finding], repair: bool) -> None:
    from rich.table import Table

    console = Console(highlight=False)
    if not findings:
        console.print(
            f"{url}: every stored JSON value can be served back; version hashes, label "
            "targets, the audit chain and foreign keys check out",
            soft_wrap=True,
        )
        return
    table = Table("table", "row", "column", "where", "problem", "action")
    for finding in findings:
        if finding.repaired:
            action = "repaired"
        elif finding.repairable:
            action = "run with --repair"
        else:
            action = "report only: fix by hand or restore a backup"
        table.add_row(
            finding.table,
            str(finding.row_id),
            finding.column,
            finding.where,
            finding.problem,
            action,
        )
    console.print(table)
    repaired = sum(finding.repaired for finding in findings)
    console.print(
        f"{len(findings)} problem(s), {repaired} repaired"
        + ("; restart the server so its cache drops the old values" if repaired else ""),
        soft_wrap=True,
    )
