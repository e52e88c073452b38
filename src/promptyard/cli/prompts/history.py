"""``promptyard prompt history|diff|label|labels|rollback|branch|merge``."""

from __future__ import annotations

from typing import Annotated

import typer
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
from promptyard.cli._views import (
    branches_table,
    events_table,
    labels_table,
    show_diff,
    versions_table,
)

Name = Annotated[str, typer.Argument(help="Prompt name.", show_default=False)]
MessageOpt = Annotated[str, typer.Option("--message", "-m", help="Commit message.")]
BaseVersionOpt = Annotated[
    int | None,
    typer.Option(
        "--base-version",
        help="Fail with 'stale_version' if the target moved on since this version.",
        show_default=False,
    ),
]


def history(
    name: Name,
    branch: Annotated[
        str | None, typer.Option("--branch", help="Only this branch.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Page size.", min=1, max=500)] = 100,
    offset: Annotated[int, typer.Option("--offset", help="Versions to skip.", min=0)] = 0,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """List a prompt's versions, newest first."""
    with connect(url, api_key, project) as client:
        page = client.list_versions(name, branch=branch, limit=limit, offset=offset)
    if as_json:
        print_json(page)
        return
    console = out()
    console.print(versions_table(page["items"]))
    if len(page["items"]) < page["total"]:
        console.print(f"{len(page['items'])} of {page['total']} versions")


def diff(
    name: Name,
    from_version: Annotated[int, typer.Argument(help="Old version.", show_default=False)],
    to_version: Annotated[int, typer.Argument(help="New version.", show_default=False)],
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Show what changed between two versions, as a colored unified diff."""
    with connect(url, api_key, project) as client:
        result = client.diff(name, from_version, to_version)
    if as_json:
        print_json(result)
    else:
        show_diff(out(), result)


def label(
    name: Name,
    label_name: Annotated[
        str, typer.Argument(metavar="LABEL", help="Label, e.g. production.", show_default=False)
    ],
    version: Annotated[
        int | None,
        typer.Argument(
            help="Version to point the label at (not with --delete).", show_default=False
        ),
    ] = None,
    delete: Annotated[bool, typer.Option("--delete", help="Remove the label.")] = False,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Move a label to a version (created if absent), or remove it with --delete."""
    if delete and version is not None:
        raise typer.BadParameter("give either a VERSION or --delete, not both")
    if not delete and version is None:
        raise typer.BadParameter("give the VERSION to point the label at (or --delete)")
    with connect(url, api_key, project) as client:
        if delete:
            client.delete_label(name, label_name)
        else:
            assert version is not None
            moved = client.set_label(name, label_name, version)
    if delete:
        if as_json:
            print_json({"deleted": label_name})
        else:
            out().print(Text(f"removed label {label_name} from {name}"))
    elif as_json:
        print_json(moved)
    else:
        out().print(Text(f"{name}: {moved['name']} → v{moved['version']}"))


def labels(
    name: Name,
    events: Annotated[
        bool, typer.Option("--events", help="Show who moved which label when.")
    ] = False,
    only: Annotated[
        str | None,
        typer.Option("--label", help="With --events: only this label.", show_default=False),
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """List a prompt's labels, or with --events their history."""
    with connect(url, api_key, project) as client:
        if events:
            moves = client.label_events(name, only)
            if as_json:
                print_json(moves)
            else:
                out().print(events_table(moves["items"]))
            return
        current = client.list_labels(name)
    if as_json:
        print_json(current)
    else:
        out().print(labels_table(current["items"]))


def rollback(
    name: Name,
    version: Annotated[int, typer.Argument(help="The version to go back to.", show_default=False)],
    message: MessageOpt = "",
    base_version: BaseVersionOpt = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Make a new version on main equal to an old one (history is kept)."""
    with connect(url, api_key, project) as client:
        prompt = client.rollback(name, version, commit_message=message, base_version=base_version)
    if as_json:
        print_json(prompt)
    else:
        out().print(Text(f"rolled {name} back to v{version} as v{prompt['latest_version']}"))


def branch(
    name: Name,
    branch_name: Annotated[
        str | None,
        typer.Argument(
            metavar="[BRANCH]",
            help="Branch to create (or delete); none: list them.",
            show_default=False,
        ),
    ] = None,
    from_version: Annotated[
        int | None,
        typer.Option(
            "--from", help="Start the branch at this version (default: latest).", show_default=False
        ),
    ] = None,
    delete: Annotated[bool, typer.Option("--delete", help="Delete the branch.")] = False,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """List a prompt's branches, create one, or delete one with --delete."""
    if branch_name is None and (delete or from_version is not None):
        raise typer.BadParameter("name the BRANCH")
    with connect(url, api_key, project) as client:
        if branch_name is None:
            found = client.list_branches(name)
            if as_json:
                print_json(found)
            else:
                out().print(branches_table(found["items"]))
            return
        if delete:
            client.delete_branch(name, branch_name)
            if as_json:
                print_json({"deleted": branch_name})
            else:
                out().print(Text(f"deleted branch {branch_name} of {name}"))
            return
        if from_version is None:
            from_version = client.get_prompt_details(name)["latest_version"]
        created = client.create_branch(name, branch_name, from_version)
    if as_json:
        print_json(created)
    else:
        out().print(Text(f"created branch {created['name']} of {name} at v{created['head']}"))


def merge(
    name: Name,
    branch_name: Annotated[
        str, typer.Argument(metavar="BRANCH", help="Branch to merge.", show_default=False)
    ],
    into: Annotated[str, typer.Option("--into", help="Target branch.")] = "main",
    message: MessageOpt = "",
    base_version: BaseVersionOpt = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Three-way merge a branch into another (main by default); conflicts are listed."""
    with connect(url, api_key, project) as client:
        prompt = client.merge_branch(
            name, branch_name, into=into, commit_message=message, base_version=base_version
        )
    if as_json:
        print_json(prompt)
        return
    version = prompt.get("version")
    number = version["number"] if version else prompt["latest_version"]
    out().print(Text(f"merged {branch_name} into {into} of {name} as v{number}"))


def register(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("diff")(diff)
    app.command("label")(label)
    app.command("labels")(labels)
    app.command("rollback")(rollback)
    app.command("branch")(branch)
    app.command("merge")(merge)
