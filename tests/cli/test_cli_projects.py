"""`promptyard project list|create`, `promptyard export` and `promptyard import`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import yaml

from tests.cli._cli import Cli


def slug() -> str:
    return f"c-{uuid.uuid4().hex[:10]}"


def test_projects(cli: Cli) -> None:
    new = slug()
    assert f"created project {new} (Team X)" in cli("project", "create", new, "Team X").stdout
    other = cli.json("project", "create", slug())
    assert other["name"] == other["slug"]
    listed = cli.json("project", "list")
    assert {new, other["slug"], "default"} <= {p["slug"] for p in listed["items"]}
    assert new in cli("project", "list").stdout
    again = cli("project", "create", new, code=1)
    assert "already exists" in again.stderr


def test_export_import(cli: Cli, tmp_path: Path) -> None:
    source, target, third = slug(), slug(), slug()
    for each in (source, target, third):
        cli("project", "create", each)
    cli("prompt", "create", "greet", "-c", "Hi {{ n }}", "--project", source)
    cli("prompt", "update", "greet", "-c", "Hello {{ n }}", "--project", source)
    cli("prompt", "label", "greet", "production", "1", "--project", source)

    bundle_file = tmp_path / "bundle.json"
    exported = cli("export", "--project", source, "-o", str(bundle_file))
    assert "exported project" in exported.stdout
    bundle = json.loads(bundle_file.read_text())
    assert [p["name"] for p in bundle["prompts"]] == ["greet"]
    to_stdout = cli("export", "--project", source)
    assert json.loads(to_stdout.stdout)["prompts"] == bundle["prompts"]

    imported = cli("import", str(bundle_file), "--project", target)
    assert "imported 1 prompt(s)" in imported.stdout and "greet" in imported.stdout
    copied = cli.json("prompt", "get", "greet", "--label", "production", "--project", target)
    assert copied["version"]["content"] == "Hi {{ n }}"

    conflict = cli("import", str(bundle_file), "--project", target, code=1)
    assert conflict.stderr.startswith("error:")
    skipped = cli.json("import", str(bundle_file), "--project", target, "--on-conflict", "skip")
    assert skipped == {"created": [], "skipped": ["greet"]}

    yaml_file = tmp_path / "bundle.yaml"
    cli("export", "--project", source, "-o", str(yaml_file))
    assert yaml.safe_load(yaml_file.read_text())["prompts"][0]["name"] == "greet"
    from_stdin = cli.json(
        "import", "-", "--format", "yaml", "--project", third, input=yaml_file.read_bytes()
    )
    assert from_stdin["created"] == ["greet"]


def test_import_unreadable_file(cli: Cli, tmp_path: Path) -> None:
    result = cli("import", str(tmp_path / "missing.json"), code=2)
    assert "cannot read" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    bad = cli("import", str(broken), "--project", "default", code=1)
    assert bad.stderr.startswith("error:")
