"""`promptyard scan`: quality and security findings, for people and for CI.

Through the SDK's ``Client.scan``. With files, each is scanned as unsaved content
(``POST /api/v1/scan``): a ``.json`` file holds a chat's messages (or ``{"type",
"content", "config"}``), any other file is a text prompt. With ``--prompt`` the stored
version is scanned; with neither, the whole project. The exit status is 3 when a finding
is at or above ``--fail-on`` (default ``high``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

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

SEVERITIES = ("info", "low", "medium", "high")
#: Exit status when a finding is at or above --fail-on (1 is an error, 2 a wrong use).
FINDINGS_EXIT = 3
MAX_FILE_BYTES = 1_000_000

FailOn = Literal["info", "low", "medium", "high", "none"]


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        fail(f"{path}: no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        fail(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() != ".json":
        return {"type": "text", "content": text, "name": path.stem[:128] or "file"}
    try:
        data = json.loads(text)
    except ValueError as exc:
        fail(f"{path}: not valid JSON ({exc})")
    if isinstance(data, list):
        return {"type": "chat", "content": data, "name": path.stem[:128] or "file"}
    if isinstance(data, dict) and "content" in data:
        body = {key: data[key] for key in ("type", "content", "config") if key in data}
        body.setdefault("type", "chat" if isinstance(data["content"], list) else "text")
        return {**body, "name": path.stem[:128] or "file"}
    fail(f"{path}: expected a list of messages or an object with 'content'")


def _worst(findings: list[dict[str, Any]]) -> int:
    return max((SEVERITIES.index(f["severity"]) for f in findings), default=-1)


def _findings_table(source: str, result: dict[str, Any]) -> Table:
    table = Table(
        "where", "severity", "rule", "finding", title=f"{source}: score {result['score']}"
    )
    for finding in result["findings"]:
        where = f"{finding['field']}:{finding['line']}:{finding['column']}"
        table.add_row(where, finding["severity"], finding["rule"], finding["detail"])
    return table


def _report_table(report: dict[str, Any]) -> Table:
    title = (
        f"{report['prompts']} prompt(s) at '{report['label']}': mean score "
        f"{report['mean_score']}, median {report['median_score']}"
    )
    table = Table("prompt", "version", "score", "high", "medium", "low", "top rules", title=title)
    for item in sorted(report["items"], key=lambda i: (i["score"], i["name"])):
        counts = item["counts"]
        table.add_row(
            item["name"],
            f"v{item['version']}",
            str(item["score"]),
            str(counts.get("high", 0)),
            str(counts.get("medium", 0)),
            str(counts.get("low", 0)),
            ", ".join(item["top_rules"]),
        )
    return table


def scan(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Prompt files to scan (.json: chat messages); none: the project or --prompt.",
            show_default=False,
        ),
    ] = None,
    prompt: Annotated[
        str | None, typer.Option("--prompt", help="Scan this stored prompt.", show_default=False)
    ] = None,
    version: Annotated[
        int | None, typer.Option("--version", help="With --prompt: this version.", min=1)
    ] = None,
    label: Annotated[
        str | None,
        typer.Option("--label", help="With --prompt or a project scan: the version at this label."),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            "--fail-on", help="Exit with status 3 on a finding at or above this severity."
        ),
    ] = "high",
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
) -> None:
    """Quality score and security findings of files, a stored prompt or the whole project."""
    if files and prompt:
        fail("give files or --prompt, not both", code=2)
    threshold = SEVERITIES.index(fail_on) if fail_on != "none" else len(SEVERITIES)
    worst = -1
    answers: list[Any] = []
    console = out()
    with connect(url, api_key, project) as client:
        if files:
            for path in files:
                body = _read(path)
                result = client.scan(
                    body["content"],
                    type=body["type"],
                    config=body.get("config"),
                    name=body["name"],
                )
                answers.append({"file": str(path), **result})
                worst = max(worst, _worst(result["findings"]))
                if not as_json:
                    console.print(_findings_table(str(path), result))
        elif prompt:
            result = client.scan(prompt=prompt, version=version, label=label)
            answers.append(result)
            worst = _worst(result["findings"])
            if not as_json:
                console.print(_findings_table(f"{prompt} v{result['version']}", result))
        else:
            report = client.scan(label=label)
            answers.append(report)
            worst = max((SEVERITIES.index(s) for s, n in report["counts"].items() if n), default=-1)
            if not as_json:
                console.print(_report_table(report))
    if as_json:
        print_json(answers[0] if len(answers) == 1 else answers)
    if worst >= threshold:
        if not as_json:
            console.print(f"findings at or above '{fail_on}': exit status {FINDINGS_EXIT}")
        raise typer.Exit(FINDINGS_EXIT)


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
