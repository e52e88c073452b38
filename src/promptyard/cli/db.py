"""``promptyard db upgrade|current``: the schema of the configured database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from promptyard.cli._common import fail

if TYPE_CHECKING:
    from promptyard.store.engine import Store

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)

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
