"""Rich renderings of API answers for people (``--json`` prints the answers as they are)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from promptyard.client._types import Branch, Diff, Label, LabelEvent, Project, Prompt, Version


def when(value: str | None) -> str:
    """``2026-11-22T10:00:00.123Z`` → ``2026-11-22 10:00`` (UTC as the server sent it)."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def _labels(labels: Mapping[str, int] | Iterable[str]) -> str:
    if isinstance(labels, Mapping):
        return ", ".join(f"{name}→v{number}" for name, number in sorted(labels.items()))
    return ", ".join(labels)


def content_renderable(type_: str, content: Any) -> Any:
    """Text as is (no markup); chat as one titled block per message."""
    if isinstance(content, str):
        return Text(content)
    blocks: list[Text | Panel] = []
    for message in content:
        if message.get("type") == "placeholder":
            blocks.append(Text(f"[placeholder: {message.get('name')}]", style="italic dim"))
            continue
        blocks.append(
            Panel(
                Text(str(message.get("content", ""))),
                title=escape(str(message.get("role", "?"))),
                title_align="left",
                border_style="dim",
            )
        )
    return Group(*blocks)


def show_prompt(console: Console, prompt: Prompt) -> None:
    version: Version | None = prompt.get("version")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    rows: list[tuple[str, str]] = [
        ("name", prompt["name"]),
        ("project", prompt["project"]),
        ("folder", prompt["folder"] or "/"),
        ("type", prompt["type"]),
    ]
    if version is not None:
        latest = (
            "latest"
            if version["number"] == prompt["latest_version"]
            else (f"latest is v{prompt['latest_version']}")
        )
        rows.append(
            (
                "version",
                f"v{version['number']} on {version['branch']} ({latest}), by {version['author']} "
                f"at {when(version['created_at'])}",
            )
        )
        if version["message"]:
            rows.append(("message", version["message"]))
    rows += [
        ("labels", _labels(prompt["labels"])),
        ("tags", ", ".join(prompt["tags"])),
        ("description", prompt["description"]),
        ("metadata", json.dumps(prompt["metadata"]) if prompt["metadata"] else ""),
        ("updated", f"{when(prompt['updated_at'])} by {prompt['updated_by']}"),
    ]
    if prompt.get("deleted_at"):
        rows.append(("deleted", when(prompt["deleted_at"])))
    if version is not None:
        if version["config"]:
            rows.append(("config", json.dumps(version["config"])))
        variables = [v["name"] + ("" if v["required"] else "?") for v in version["variables"]]
        rows.append(("variables", ", ".join(variables)))
        if version["references"]:
            rows.append(("includes", ", ".join(version["references"])))
    for key, value in rows:
        if value:
            grid.add_row(key, Text(value))
    console.print(grid)
    if version is not None:
        console.print(
            Panel(
                content_renderable(version["type"], version["content"]),
                title="content",
                title_align="left",
            )
        )


def prompts_table(items: Iterable[Prompt]) -> Table:
    table = Table("name", "folder", "type", "latest", "labels", "tags", "updated", "by")
    for prompt in items:
        name = prompt["name"] + (" (deleted)" if prompt.get("deleted_at") else "")
        table.add_row(
            Text(name),
            Text(prompt["folder"]),
            prompt["type"],
            f"v{prompt['latest_version']}",
            Text(_labels({k: v for k, v in prompt["labels"].items() if k != "latest"})),
            Text(", ".join(prompt["tags"])),
            when(prompt["updated_at"]),
            Text(prompt["updated_by"]),
        )
    return table


def versions_table(items: Iterable[Version]) -> Table:
    table = Table("version", "branch", "parents", "labels", "author", "created", "message")
    for version in items:
        parents = ", ".join(
            f"v{number}" for number in (version["parent"], version["merge_parent"]) if number
        )
        table.add_row(
            f"v{version['number']}",
            Text(version["branch"]),
            parents,
            Text(_labels(version["labels"])),
            Text(version["author"]),
            when(version["created_at"]),
            Text(version["message"]),
        )
    return table


_DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))


def show_diff(console: Console, diff: Diff) -> None:
    """The unified diff, colored, then config changes and the counts."""
    for row in diff["unified"].splitlines():
        style = next((s for prefix, s in _DIFF_STYLES if row.startswith(prefix)), "")
        console.print(Text(row, style=style), soft_wrap=True)
    if diff.get("type_changed"):
        console.print(Text("type changed", style="yellow"))
    for change in diff.get("config") or []:
        path, op = change["path"], change["op"]
        line: Text
        if op == "added":
            line = Text(f"config {path}: + {json.dumps(change['new'])}", style="green")
        elif op == "removed":
            line = Text(f"config {path}: - {json.dumps(change['old'])}", style="red")
        else:
            line = Text(
                f"config {path}: {json.dumps(change['old'])} → {json.dumps(change['new'])}",
                style="yellow",
            )
        console.print(line, soft_wrap=True)
    stats = diff.get("stats") or {}
    if not diff["unified"] and not diff.get("config") and not diff.get("type_changed"):
        console.print(f"v{diff['from']} and v{diff['to']} are identical")
    else:
        console.print(
            f"[green]{stats.get('insertions', 0)} insertion(s)[/green], "
            f"[red]{stats.get('deletions', 0)} deletion(s)[/red]"
        )


def labels_table(items: Iterable[Label]) -> Table:
    table = Table("label", "version", "updated", "by")
    for label in items:
        table.add_row(
            Text(label["name"]),
            f"v{label['version']}",
            when(label["updated_at"]),
            Text(label["updated_by"]),
        )
    return table


def events_table(items: Iterable[LabelEvent]) -> Table:
    table = Table("when", "label", "from", "to", "by")
    for event in items:
        table.add_row(
            when(event["created_at"]),
            Text(event["label"]),
            f"v{event['from_version']}" if event["from_version"] else "-",
            f"v{event['to_version']}" if event["to_version"] else "(removed)",
            Text(event["actor"]),
        )
    return table


def branches_table(items: Iterable[Branch]) -> Table:
    table = Table("branch", "head", "base", "created", "by", "merged")
    for branch in items:
        table.add_row(
            Text(branch["name"]),
            f"v{branch['head']}" if branch["head"] else "",
            f"v{branch['base']}" if branch["base"] else "",
            when(branch["created_at"]),
            Text(branch["created_by"]),
            when(branch["merged_at"]),
        )
    return table


def projects_table(items: Iterable[Project]) -> Table:
    table = Table("slug", "name", "prompts", "created")
    for project in items:
        table.add_row(
            Text(project["slug"]),
            Text(project["name"]),
            str(project["prompt_count"]),
            when(project["created_at"]),
        )
    return table
