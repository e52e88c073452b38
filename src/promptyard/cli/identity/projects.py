"""``promptyard project list|create``, ``promptyard export`` and ``promptyard import``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

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
    fail,
    out,
    print_json,
)
from promptyard.cli._views import projects_table

BundleFormat = Literal["json", "yaml"]


def list_projects(
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """List the projects of the workspace."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        found = client.list_projects()
    if as_json:
        print_json(found)
    else:
        out().print(projects_table(found["items"]))


def create_project(
    slug: Annotated[
        str, typer.Argument(help="Lower-case letters, digits and '-'.", show_default=False)
    ],
    name: Annotated[
        str | None, typer.Argument(help="Display name (default: the slug).", show_default=False)
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Create a project."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        project = client.create_project(slug, name or slug)
    if as_json:
        print_json(project)
    else:
        out().print(Text(f"created project {project['slug']} ({project['name']})"))


def export(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the bundle to this file (default: stdout).",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    format_: Annotated[
        BundleFormat | None,
        typer.Option(
            "--format",
            help="json or yaml (default: from the file's extension, else json).",
            show_default=False,
        ),
    ] = None,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Export a project (every prompt, version, label and branch) as one bundle."""
    fmt: BundleFormat = format_ or (
        "yaml" if output is not None and output.suffix in (".yaml", ".yml") else "json"
    )
    with connect(url, api_key, project) as client:
        bundle = client.export_project(format=fmt)
    if output is None:
        typer.echo(bundle, nl=False)
        return
    try:
        output.write_bytes(bundle)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    out().print(Text(f"exported project {project} to {output} ({len(bundle):,} bytes)"))


def import_(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE", help="Bundle file ('-': standard input).", show_default=False
        ),
    ],
    on_conflict: Annotated[
        Literal["fail", "skip"],
        typer.Option(
            "--on-conflict",
            help="fail: import nothing if any name exists; skip: keep existing prompts.",
        ),
    ] = "fail",
    format_: Annotated[
        BundleFormat | None,
        typer.Option(
            "--format",
            help="json or yaml (default: from the file's extension, else json).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Import a bundle made by `promptyard export` into a project."""
    if file == "-":
        bundle = typer.get_binary_stream("stdin").read()
    else:
        try:
            bundle = Path(file).read_bytes()
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {file}: {exc.strerror or exc}") from None
    fmt: BundleFormat = format_ or ("yaml" if file.endswith((".yaml", ".yml")) else "json")
    with connect(url, api_key, project) as client:
        result = client.import_project(bundle, on_conflict=on_conflict, format=fmt)
    if as_json:
        print_json(result)
        return
    console = out()
    console.print(Text(f"imported {len(result['created'])} prompt(s) into {project}"))
    if result["created"]:
        console.print(Text("  created: " + ", ".join(result["created"])), soft_wrap=True)
    if result["skipped"]:
        console.print(
            Text("  skipped (already there): " + ", ".join(result["skipped"])), soft_wrap=True
        )


def register(root: typer.Typer, project_app: typer.Typer) -> None:
    project_app.command("list")(list_projects)
    project_app.command("create")(create_project)
    root.command("export")(export)
    root.command("import")(import_)
