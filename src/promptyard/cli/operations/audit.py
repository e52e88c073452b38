"""``promptyard audit list|verify|checkpoint|export``: the tamper-evident audit trail."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
import yaml
from rich.table import Table
from rich.text import Text

from promptyard.cli._common import (
    DEFAULT_SLUG,
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
    with connect(url, api_key, DEFAULT_SLUG) as client:
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


def read_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint from a file: the checkpoint itself, a copy of the checkpoint file
    (JSON Lines: its last line), a webhook delivery's body, or a project export."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
    lines = [line for line in text.splitlines() if line.strip()]
    value: Any = None
    for candidate in (text, lines[-1] if lines else ""):
        try:
            value = json.loads(candidate)
            break
        except ValueError:
            continue
    else:
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = None
    if isinstance(value, dict) and isinstance(value.get("audit_checkpoint"), dict):
        value = value["audit_checkpoint"]  # a project export
    elif isinstance(value, dict) and value.get("event") == "audit.checkpoint":
        value = value.get("data")  # a webhook delivery
    if not isinstance(value, dict) or "signature" not in value:
        fail(
            f"{path} holds no audit checkpoint",
            hints=[
                "give a checkpoint (JSON), audit-checkpoints.jsonl, a webhook body or an export"
            ],
        )
    return value


@audit_app.command("verify")
def verify(
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="Check against this checkpoint (a copy of audit-checkpoints.jsonl, a "
            "webhook body, an export) instead of the server's latest.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Re-walk the whole audit chain and check it still reaches the latest signed
    checkpoint; exit 1 and say why if not."""
    given = read_checkpoint(checkpoint) if checkpoint is not None else None
    with connect(url, api_key, DEFAULT_SLUG) as client:
        result = client.verify_audit(given)
    if as_json:
        print_json(result)
    anchor = result.get("checkpoint")
    if result["ok"]:
        if not as_json:
            line = f"audit chain intact: {result['checked']} event(s) checked"
            if anchor:
                line += f"; reaches the checkpoint of {anchor['created_at']} (seq {anchor['seq']})"
            out().print(Text(line))
            if not anchor:
                out().print(
                    Text(
                        "no checkpoint yet: a cut tail would go unnoticed; "
                        "run `promptyard audit checkpoint`"
                    )
                )
        return
    if result.get("first_broken_seq") is None:
        fail(f"audit verification failed: {result['reason']}")
    event = f"seq {result['first_broken_seq']}"
    if result.get("first_broken_id") is not None:
        event += f" (id {result['first_broken_id']})"
    fail(f"audit chain broken at {event}: {result['reason']}")


@audit_app.command("checkpoint")
def checkpoint(
    list_: Annotated[
        bool, typer.Option("--list", help="Show the signing key and recent checkpoints instead.")
    ] = False,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Sign the audit chain's head now and publish it (checkpoint file, webhooks)."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        result = client.list_audit_checkpoints() if list_ else client.create_audit_checkpoint()
    if as_json:
        print_json(result)
        return
    console = out()
    if list_:
        console.print(Text(f"signing key {result['key_id']}: {result['public_key']}"))
        for item in result["items"]:
            console.print(Text(f"seq {item['seq']}  {item['created_at']}  {item['hash']}"))
        return
    item = result["checkpoint"]
    verb = "signed" if result["created"] else "unchanged since the checkpoint"
    console.print(Text(f"{verb} at seq {item['seq']} ({item['created_at']}), key {item['key_id']}"))


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
    with connect(url, api_key, DEFAULT_SLUG) as client:
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
