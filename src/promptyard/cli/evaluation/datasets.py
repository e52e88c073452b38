"""``promptyard dataset list|show|versions|import|export|add-from-generations``.

Through the SDK (``Client.list_datasets`` ...). A dataset is named ``NAME`` or, pinned to
a version, ``NAME@VERSION``. ``import`` reads CSV, JSON or JSON Lines (by the file's
suffix, or ``--format``); a bad record stops it with the row and column, and nothing is
imported.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

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
from promptyard.client._datasets import format_of

dataset_app = typer.Typer(
    help="Versioned datasets of evaluation cases: list, show, import, export.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="Dataset name (NAME, or NAME@VERSION to read).")]
FormatOpt = Annotated[
    Literal["csv", "json", "jsonl"] | None,
    typer.Option("--format", "-f", help="csv, json or jsonl (default: from the file name)."),
]
#: A file read by ``import`` at most (the server has its own cap).
MAX_FILE_BYTES = 20_000_000


def _ref(ref: str) -> tuple[str, int | None]:
    name, sep, version = ref.partition("@")
    if not sep:
        return name, None
    if not version.isdigit() or int(version) < 1:
        fail(f"{ref!r}: write NAME or NAME@VERSION (VERSION >= 1)", code=2)
    return name, int(version)


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@dataset_app.command("list")
def list_(
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """List the project's datasets."""
    with connect(url, api_key, project) as client:
        found = client.list_datasets()
    if as_json:
        print_json(found)
        return
    table = Table("name", "version", "cases", "updated", "by", "description")
    for d in found["items"]:
        table.add_row(
            d["name"],
            str(d["latest_version"]),
            str(d["case_count"]),
            str(d["updated_at"])[:19],
            d["updated_by"],
            _short(d["description"], 40),
        )
    out().print(table)


@dataset_app.command("show")
def show(
    ref: NameArg,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Cases to show.")] = 20,
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Show a dataset (at a version with NAME@VERSION) and its first cases."""
    name, version = _ref(ref)
    with connect(url, api_key, project) as client:
        found = client.get_dataset(name, version=version, limit=limit)
    if as_json:
        print_json(found)
        return
    console = out()
    console.print(
        Text(
            f"{found['name']}@{found['version']}: {found['version_case_count']} cases "
            f"(latest version {found['latest_version']})"
        )
    )
    table = Table("id", "input", "expected")
    for case in found["cases"]:
        table.add_row(case["id"], _short(case["input"]), _short(case["expected"] or "-"))
    console.print(table)


@dataset_app.command("versions")
def versions(
    name: NameArg,
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """List a dataset's versions, newest first."""
    with connect(url, api_key, project) as client:
        found = client.dataset_versions(name)
    if as_json:
        print_json(found)
        return
    table = Table("version", "cases", "created", "by", "message")
    for v in found:
        table.add_row(
            str(v["version"]),
            str(v["case_count"]),
            str(v["created_at"])[:19],
            v["created_by"],
            _short(v["message"], 50),
        )
    out().print(table)


@dataset_app.command("import")
def import_(
    name: Annotated[str, typer.Argument(help="Dataset name (made when it does not exist).")],
    file: Annotated[Path, typer.Argument(help="A .csv, .json or .jsonl file; - for stdin.")],
    format: FormatOpt = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="The file becomes the whole dataset.")
    ] = False,
    message: Annotated[str, typer.Option("--message", "-m", help="The version's note.")] = "",
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Import cases from a file as one new version."""
    if str(file) == "-":
        content = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        if format is None:
            fail("reading standard input: give --format", code=2)
    else:
        if not file.is_file():
            fail(f"{file}: no such file", code=2)
        if file.stat().st_size > MAX_FILE_BYTES:
            fail(f"{file}: larger than {MAX_FILE_BYTES} bytes; split it", code=2)
        content = file.read_bytes()
    fmt = format or format_of(file.name)
    with connect(url, api_key, project) as client:
        done = client.import_dataset(
            name, content, format=fmt, mode="replace" if replace else "append", message=message
        )
    if as_json:
        print_json(done)
        return
    out().print(
        Text(
            f"{done['dataset']}@{done['version']}: imported {done['added']} cases "
            f"({done['case_count']} in this version)"
        )
    )


@dataset_app.command("export")
def export(
    ref: NameArg,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: standard output).")
    ] = None,
    format: FormatOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Export a dataset (at a version with NAME@VERSION) as CSV, JSON or JSON Lines."""
    name, version = _ref(ref)
    fmt = format or (format_of(output.name) if output is not None else "jsonl")
    with connect(url, api_key, project) as client:
        content = client.export_dataset(name, format=fmt, version=version)
    if output is None:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    output.write_bytes(content)
    out().print(Text(f"wrote {len(content)} bytes to {output}"))


@dataset_app.command("add-from-generations")
def add_from_generations(
    name: Annotated[str, typer.Argument(help="Dataset name (made when it does not exist).")],
    generation: Annotated[
        list[str] | None,
        typer.Option("--generation", "-g", help="A generation id (repeat).", show_default=False),
    ] = None,
    prompt: Annotated[
        str | None, typer.Option("--prompt", help="Generations of this prompt.", show_default=False)
    ] = None,
    negative: Annotated[
        bool, typer.Option("--negative-feedback", help="Only those with negative feedback.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 100,
    output_as_expected: Annotated[
        bool, typer.Option("--output-as-expected", help="Their output becomes the expected one.")
    ] = False,
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Add stored generations as cases (by id, by prompt, or those users disliked)."""
    with connect(url, api_key, project) as client:
        done = client.add_cases_from_generations(
            name,
            generation_ids=generation or None,
            prompt=prompt,
            negative_feedback=negative,
            limit=limit,
            output_as_expected=output_as_expected,
        )
    if as_json:
        print_json(done)
        return
    out().print(Text(f"{done['dataset']}@{done['version']}: added {done['added']} cases"))


def register(app: typer.Typer) -> None:
    """Add this module's command group to the main app."""
    app.add_typer(dataset_app, name="dataset")
