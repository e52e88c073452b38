"""``promptyard analytics check|rebuild``: the rollups against the raw generations, on the
configured database (server side, like ``db``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from promptyard.cli._common import fail
from promptyard.cli.operations.db import DatabaseUrlOpt, _resolve, open_store, safe_url

if TYPE_CHECKING:
    from promptyard.services.context import Core

app = typer.Typer(help="Analytics rollups: check them against raw rows, rebuild them.")


def _core(url: str) -> Core:
    from promptyard.config import load_settings
    from promptyard.store import migrate
    from promptyard.wiring import build_core

    store = open_store(url)
    if migrate.current_revision(store) != migrate.head_revision():
        store.dispose()
        fail(f"{safe_url(url)} is not at the latest schema: run `promptyard db upgrade`")
    return build_core(load_settings(database_url=url), store=store)


@app.command()
def check(database_url: DatabaseUrlOpt = None) -> None:
    """Compare the rollups with the raw generations (per project and day); exit 1 when
    they disagree (then run `promptyard analytics rebuild`)."""
    from promptyard.services.analytics import integrity

    url = _resolve(database_url)
    core = _core(url)
    try:
        findings = integrity.check(core)
    finally:
        core.store.dispose()
    console = Console(highlight=False)
    if not findings:
        console.print(f"{safe_url(url)}: the rollups agree with the raw rows", soft_wrap=True)
        return
    for finding in findings[:50]:
        console.print(f"{finding.where}: {finding.problem}", soft_wrap=True)
    console.print(f"{len(findings)} problem(s)", soft_wrap=True)
    raise typer.Exit(1)


@app.command()
def rebuild(
    database_url: DatabaseUrlOpt = None,
    project: Annotated[
        str | None, typer.Option("--project", help="Only this project (slug); default: all.")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Also rebuild projects whose old raw rows retention deleted (drops the "
            "aggregates of those days).",
        ),
    ] = False,
) -> None:
    """Recompute the rollups from the raw generations and their feedback, in one
    transaction (ingest waits on SQLite; on PostgreSQL run it when ingest is quiet)."""
    from sqlalchemy import select

    from promptyard.domain.errors import Conflict
    from promptyard.services.analytics import integrity
    from promptyard.store.models import SqlProject

    url = _resolve(database_url)
    core = _core(url)
    try:
        project_id = None
        if project is not None:
            with core.store.read() as session:
                project_id = session.scalar(select(SqlProject.id).where(SqlProject.slug == project))
            if project_id is None:
                fail(f"no project {project!r}")
        started = time.perf_counter()
        try:
            counted = integrity.rebuild_rollups(core, project_id, force=force)
        except Conflict as exc:
            fail(str(exc))
    finally:
        core.store.dispose()
    Console(highlight=False).print(
        f"rebuilt the rollups of {counted:,} generations in {time.perf_counter() - started:.1f} s",
        soft_wrap=True,
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="analytics")
