"""``promptyard audit list|verify|export``: the workspace's tamper-evident audit trail."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table
from rich.text import Text

from promptyard.cli._common import (
    DEFAULT_URL,
    ApiKeyOpt,
    JsonOpt,
    UrlOpt,
    connect,
    fail,
    out,
    print_json,
)

audit_app = typer.Typer(
    help="Search, verify and export the audit trail (admins).", no_args_is_help=True
)

ActorOpt = Annotated[
    str | None, typer.Option("--actor", help="Only this actor (e.g. key:ci).", show_default=False)
]
ActionOpt = Annotated[
    str | None,
    typer.Option(
        "--action", help="Only this action, or a prefix ending in * (prompt.*).", show_default=False
    ),
]
ObjectTypeOpt = Annotated[
    str | None, typer.Option("--object-type", help="Only this object type.", show_default=False)
]
ObjectIdOpt = Annotated[
    str | None, typer.Option("--object-id", help="Only this object id.", show_default=False)
]
SinceOpt = Annotated[
    datetime | None,
    typer.Option("--since", help="From this time (inclusive, UTC).", show_default=False),
]
UntilOpt = Annotated[
    datetime | None,
    typer.Option("--until", help="Until this time (exclusive, UTC).", show_default=False),
]


def _table(items: list[dict[str, Any]]) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("seq", "time", "actor", "action", "object", "summary"):
        table.add_column(column, overflow="fold")
    for event in items:
        table.add_row(
            str(event["seq"]),
            str(event["created_at"])[:19].replace("T", " "),
            Text(event["actor"]),
            Text(event["action"]),
            Text(f"{event['object_type']}:{event['object_id']}"),
            Text(json.dumps(event["summary"], ensure_ascii=False, sort_keys=True)),
        )
    return table


@audit_app.command("list")
def list_events(
    actor: ActorOpt = None,
    action: ActionOpt = None,
    object_type: ObjectTypeOpt = None,
    object_id: ObjectIdOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many.")] = 0,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """List the workspace's audit events, newest first."""
    with connect(url, api_key, "default") as client:
        found = client.list_audit_events(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
    if as_json:
        print_json(found)
        return
    console = out()
    console.print(_table(found["items"]))
    console.print(Text(f"{len(found['items'])} of {found['total']} event(s)"))


@audit_app.command("verify")
def verify(
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Re-walk the whole audit chain; exit 1 and name the first broken event if any."""
    with connect(url, api_key, "default") as client:
        result = client.verify_audit()
    if as_json:
        print_json(result)
    if result["ok"]:
        if not as_json:
            out().print(Text(f"audit chain intact: {result['checked']} event(s) checked"))
        return
    event = f"seq {result['first_broken_seq']}"
    if result.get("first_broken_id") is not None:
        event += f" (id {result['first_broken_id']})"
    fail(f"audit chain broken at {event}: {result['reason']}")


@audit_app.command("export")
def export(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Write to this file.", dir_okay=False),
    ],
    format_: Annotated[
        Literal["csv", "jsonl"],
        typer.Option("--format", help="csv or jsonl."),
    ] = "jsonl",
    actor: ActorOpt = None,
    action: ActionOpt = None,
    object_type: ObjectTypeOpt = None,
    object_id: ObjectIdOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Export matching events, oldest first, with seq, prev_hash and hash columns."""
    with connect(url, api_key, "default") as client:
        data = client.export_audit(
            format_,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            since=since,
            until=until,
        )
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    out().print(Text(f"exported the audit trail to {output} ({len(data):,} bytes)"))


def register(app: typer.Typer) -> None:
    """Add this module's command groups to the main app."""
    app.add_typer(audit_app, name="audit")
