"""`promptyard alert rules|list|show|ack|silence|unsilence`: alert rules and fired alerts
(incidents) of the project, over the API (``Client`` alert methods); rules are made in the
console or with ``POST /api/v1/alert-rules`` (docs/alerting.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from promptyard.cli._common import (
    DEFAULT_SLUG,
    DEFAULT_URL,
    ApiKeyOpt,
    JsonOpt,
    ProjectOpt,
    UrlOpt,
    connect,
    out,
    print_json,
)

alert_app = typer.Typer(
    help="Alerts: list rules and incidents, acknowledge, silence.", no_args_is_help=True
)

AlertId = Annotated[int, typer.Argument(help="Alert (incident) id.", show_default=False)]


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _one(item: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(item)
        return
    silenced = f", silenced until {item['silenced_until']}" if item["silenced"] else ""
    out().print(
        Text(
            f"#{item['id']} {item['state']}{silenced}: {item['title']} (value "
            f"{_value(item['value'])}, fired {item['fired_at']}, reopened {item['reopened']}x)"
        )
    )


@alert_app.command("rules")
def rules(
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """List the project's alert rules with their last value and whether they fire."""
    with connect(url, api_key, project) as client:
        items = client.list_alert_rules()
    if as_json:
        print_json({"items": items})
        return
    table = Table("id", "name", "kind", "scope", "threshold", "window", "last value", "firing")
    for r in items:
        scope = (
            ", ".join(f"{k} {r[k]}" for k in ("prompt", "model", "score") if r.get(k)) or "project"
        )
        table.add_row(
            str(r["id"]), r["name"], r["kind"], scope, f"{r['comparison']} {r['threshold']:g}",
            f"{r['window_minutes']} min", _value(r["last_value"]), "yes" if r["firing"] else "",
        )  # fmt: skip
    out().print(table)


@alert_app.command("list")
def list_(
    state: Annotated[
        str | None,
        typer.Option("--state", help="open, firing, acknowledged or resolved.", show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (1-500).")] = 100,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """List fired alerts (incidents), newest first."""
    with connect(url, api_key, project) as client:
        page = client.list_alerts(state=state, limit=limit)
    if as_json:
        print_json(page)
        return
    table = Table("id", "state", "kind", "title", "value", "fired at", "silenced")
    for a in page["items"]:
        table.add_row(
            str(a["id"]), a["state"], a["kind"], a["title"], _value(a["value"]),
            str(a["fired_at"]), "yes" if a["silenced"] else "",
        )  # fmt: skip
    out().print(table)
    out().print(Text(f"{page['firing']} open"))


@alert_app.command("show")
def show(
    alert_id: AlertId,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Show one alert."""
    with connect(url, api_key, project) as client:
        _one(client.get_alert(alert_id), as_json)


@alert_app.command("ack")
def ack(
    alert_id: AlertId,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Acknowledge an alert: someone is on it."""
    with connect(url, api_key, project) as client:
        _one(client.acknowledge_alert(alert_id), as_json)


@alert_app.command("silence")
def silence(
    alert_id: AlertId,
    minutes: Annotated[
        int, typer.Option("--minutes", "-m", help="Hold its notifications this long.")
    ] = 60,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Silence an alert's notifications for some minutes."""
    with connect(url, api_key, project) as client:
        _one(client.silence_alert(alert_id, minutes=minutes), as_json)


@alert_app.command("unsilence")
def unsilence(
    alert_id: AlertId,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Notify again from now on."""
    with connect(url, api_key, project) as client:
        _one(client.unsilence_alert(alert_id), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(alert_app, name="alert")
