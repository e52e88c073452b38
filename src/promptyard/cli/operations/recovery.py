"""``promptyard restore-prompts``: prompts back to their state at a given time, as new
versions and label moves (run where the database is reachable, like ``promptyard db``;
the server's ``POST /api/v1/projects/{slug}/point-in-time-restore`` does the same for one
project)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from promptyard.cli._common import fail, out
from promptyard.cli.operations.db import DatabaseUrlOpt, open_store, safe_url


def restore_prompts(
    at: Annotated[
        datetime,
        typer.Option(
            "--at",
            help="The time to go back to (UTC unless an offset is given).",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
        ),
    ],
    project: Annotated[
        list[str] | None,
        typer.Option("--project", help="Only this project (repeatable; default: all)."),
    ] = None,
    prompt: Annotated[
        str | None, typer.Option("--prompt", help="Only this prompt (needs one --project).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would change.")
    ] = False,
    database_url: DatabaseUrlOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Bring prompts back to their state at --at: rollbacks to the versions of then,
    labels moved back, prompts created since deleted (restorable), each recorded in the
    audit trail as the system. Exit 1 when a change was refused."""
    from sqlalchemy.exc import SQLAlchemyError

    from promptyard.config import load_settings
    from promptyard.domain.actor import SYSTEM, RequestContext
    from promptyard.domain.errors import DomainError
    from promptyard.services.recovery import point_in_time
    from promptyard.store import migrate
    from promptyard.wiring import build_core

    if prompt is not None and len(project or []) != 1:
        fail("--prompt needs exactly one --project")
    settings = load_settings(database_url=database_url) if database_url else load_settings()
    url = settings.resolved_database_url()
    store = open_store(url)
    try:
        if migrate.current_revision(store) != migrate.head_revision():
            fail(f"{safe_url(url)} is not at the latest schema: run `promptyard db upgrade`")
        core = build_core(settings, store=store)
        projects = point_in_time.projects_in(core, workspace_id=None, slugs=project or [])
        report = point_in_time.point_in_time_restore(
            core,
            ctx=RequestContext(actor=SYSTEM),
            projects=projects,
            at=at,
            prompt=prompt,
            dry_run=dry_run,
        )
    except DomainError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"cannot restore prompts in {safe_url(url)}: {getattr(exc, 'orig', None) or exc}")
    finally:
        store.dispose()
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        table = Table("project", "prompt", "change", "now", "then", "result", box=None)
        for change in report.changes:
            what = change.kind if change.label is None else f"label {change.label}"
            result = "would apply" if dry_run else ("applied" if change.applied else "")
            table.add_row(
                change.project,
                change.prompt,
                Text(f"{what}: {change.description}"),
                str(change.current if change.current is not None else "-"),
                str(change.target if change.target is not None else "-"),
                Text(change.error or result),
            )
        console = out()
        console.print(table)
        verb = "would change" if dry_run else "changed"
        console.print(
            Text(
                f"{report.prompts_checked} prompt(s) checked; {verb} "
                f"{len(report.changes) - len(report.failed)}, refused {len(report.failed)}"
            )
        )
    if report.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``promptyard restore-prompts`` to the main app."""
    app.command("restore-prompts")(restore_prompts)
