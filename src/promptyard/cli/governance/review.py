"""`promptyard review …` commands (issue 4): change requests and the review policy."""

from __future__ import annotations

import json
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
    fail,
    out,
    print_json,
)

review_app = typer.Typer(
    help="Change requests: open, review, approve and apply label moves.", no_args_is_help=True
)

RequestId = Annotated[int, typer.Argument(help="Change request id.", show_default=False)]
CommentOpt = Annotated[str, typer.Option("--comment", "-c", help="A comment to add.")]


def _table(items: list[dict[str, Any]]) -> Table:
    table = Table("id", "prompt", "version", "label", "status", "approvals", "author")
    for item in items:
        table.add_row(
            str(item["id"]),
            item["prompt"],
            f"v{item['version']}",
            item["label"],
            item["status"],
            f"{len(item['approvals'])}/{item['required_approvals']}",
            item["author"],
        )
    return table


def _show(item: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(item)
        return
    console = out()
    console.print(
        Text(
            f"#{item['id']} {item['prompt']} v{item['version']} → {item['label']}: "
            f"{item['status']} ({len(item['approvals'])}/{item['required_approvals']} approvals)"
        )
    )
    for gate in item.get("gate_results", []):
        mark = "ok" if gate["ok"] else "FAILED"
        console.print(Text(f"  gate {gate['gate']}: {mark} {gate['message']}"))
    for event in item.get("events", []):
        body = f": {event['body']}" if event["body"] else ""
        console.print(Text(f"  {event['created_at']} {event['actor']} {event['kind']}{body}"))


@review_app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option("--status", help="Only this status.", show_default=False)
    ] = None,
    prompt: Annotated[
        str | None, typer.Option("--prompt", help="Only this prompt.", show_default=False)
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """List change requests, newest first."""
    with connect(url, api_key, project) as client:
        page = client.list_change_requests(status=status, prompt=prompt)
    if as_json:
        print_json(page)
    else:
        out().print(_table(page["items"]))


@review_app.command("show")
def show(
    request_id: RequestId,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Show a change request with its gate results and events."""
    with connect(url, api_key, project) as client:
        item = client.get_change_request(request_id)
    _show(item, as_json)


@review_app.command("open")
def open_(
    prompt: Annotated[str, typer.Argument(help="Prompt name.", show_default=False)],
    version: Annotated[int, typer.Argument(help="Version to publish.", show_default=False)],
    label: Annotated[str, typer.Option("--label", "-l", help="Label to move.")] = "production",
    description: Annotated[str, typer.Option("--description", "-d", help="Why.")] = "",
    var: Annotated[
        list[str] | None,
        typer.Option("--var", help="Sample variable NAME=VALUE for the gates (repeatable)."),
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Open a change request to point LABEL at VERSION (the quality gates run first)."""
    samples: dict[str, str] = {}
    for pair in var or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"--var {pair!r}: use NAME=VALUE")
        samples[key] = value
    with connect(url, api_key, project) as client:
        item = client.open_change_request(
            prompt, version, label, description=description, sample_variables=samples
        )
    _show(item, as_json)


def _action(name: str, help_text: str, *, needs_comment: bool = False) -> None:
    def command(
        request_id: RequestId,
        comment: CommentOpt = "",
        as_json: JsonOpt = False,
        url: UrlOpt = DEFAULT_URL,
        api_key: ApiKeyOpt = None,
        project: ProjectOpt = DEFAULT_SLUG,
    ) -> None:
        if needs_comment and not comment:
            raise typer.BadParameter("give --comment")
        with connect(url, api_key, project) as client:
            if name == "comment":
                item = client.comment_change_request(request_id, comment)
            elif name == "approve":
                item = client.approve_change_request(request_id, comment)
            elif name == "request-changes":
                item = client.request_changes(request_id, comment)
            elif name == "apply":
                item = client.apply_change_request(request_id)
            else:
                item = client.close_change_request(request_id, comment)
        _show(item, as_json)

    command.__doc__ = help_text
    review_app.command(name)(command)


_action("comment", "Comment on a change request.", needs_comment=True)
_action("approve", "Approve a change request (not your own); the gates run again.")
_action("request-changes", "Send a change request back to its author.", needs_comment=True)
_action("apply", "Apply an approved change request: move the label, publish the prompt.")
_action("close", "Close a change request without applying it.")


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@review_app.command("policy")
def policy(
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="KEY=VALUE (JSON values), e.g. require_review=true, "
            'protected_labels=["production"], gates.renders_with_samples=false.',
        ),
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Show the project's review policy, or change fields of it with --set."""
    with connect(url, api_key, project) as client:
        if set_:
            fields: dict[str, Any] = {}
            current = client.get_policy()
            for item in set_:
                key, sep, raw = item.partition("=")
                if not sep or not key:
                    fail(f"--set {item!r}: use KEY=VALUE")
                value = _parse_value(raw)
                if key.startswith("gates."):
                    gates = fields.setdefault("gates", dict(current.get("gates", {})))
                    gates[key.removeprefix("gates.")] = value
                elif key == "protected_labels" and isinstance(value, str):
                    fields[key] = [part.strip() for part in value.split(",") if part.strip()]
                else:
                    fields[key] = value
            result = client.set_policy(**fields)
        else:
            result = client.get_policy()
    if as_json:
        print_json(result)
        return
    console = out()
    for key, value in result.items():
        console.print(Text(f"{key}: {json.dumps(value)}"))


PromptName = Annotated[str, typer.Argument(help="Prompt name.", show_default=False)]


def lifecycle(
    name: PromptName,
    state: Annotated[
        str,
        typer.Argument(help="draft, published, deprecated or archived.", show_default=False),
    ],
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Set a prompt's lifecycle state (deprecated prompts still serve, and say so)."""
    with connect(url, api_key, project) as client:
        result = client.set_lifecycle(name, state)
    if as_json:
        print_json(result)
    else:
        out().print(Text(f"{name}: {result.get('lifecycle', state)}"))


def impact(
    name: PromptName,
    version: Annotated[
        int | None,
        typer.Option("--version", "-v", help="Only this version.", show_default=False),
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """What depends on a prompt: its labels, prompts that include it, open requests."""
    with connect(url, api_key, project) as client:
        result = client.impact(name, version)
    if as_json:
        print_json(result)
        return
    console = out()
    console.print(Text(f"{name} ({result['lifecycle']})"))
    labels = Table("label", "version")
    for item in result["labels"]:
        labels.add_row(item["name"], f"v{item['version']}")
    console.print(labels)
    dependents = Table("prompt", "version", "reference", "resolves to")
    for item in result["dependents"]:
        target = item["resolves_to"]
        dependents.add_row(
            item["prompt"],
            f"v{item['version']}",
            item["reference"],
            f"v{target}" if target is not None else "-",
        )
    console.print(dependents)
    if result["change_requests"]:
        console.print(_table(result["change_requests"]))
    else:
        console.print(Text("no open change requests"))


def register(app: typer.Typer) -> None:
    """Add this module's command groups to the main app."""
    app.add_typer(review_app, name="review")


def register_prompt_commands(prompt_app: typer.Typer) -> None:
    """``promptyard prompt lifecycle|impact``: review-area commands about one prompt."""
    prompt_app.command("lifecycle")(lifecycle)
    prompt_app.command("impact")(impact)
