"""docs/cli.md is generated from the CLI's help and must not go stale."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cli_docs_are_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts/gen_cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render()
    actual = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is stale: run `python scripts/gen_cli_docs.py`"


def test_every_command_is_documented() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in (
        "serve",
        "db upgrade",
        "db current",
        "prompt create",
        "prompt get",
        "prompt list",
        "prompt update",
        "prompt render",
        "prompt diff",
        "prompt history",
        "prompt label",
        "prompt rollback",
        "prompt delete",
        "prompt restore",
        "prompt branch",
        "prompt merge",
        "export",
        "import",
        "project list",
        "project create",
    ):
        assert f"`promptyard {command}`" in text, command
