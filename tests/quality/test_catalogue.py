"""docs/quality.md's rule catalogue is generated from the rules and kept current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_rule_catalogue_in_the_docs_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_quality_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_builtin_rule_is_in_the_catalogue_with_its_source() -> None:
    from promptyard.plugins.builtin.quality_rules import RULES

    text = (ROOT / "docs" / "quality.md").read_text()
    for rule in RULES:
        assert f"| `{rule.id}` | {rule.severity} " in text
        assert rule.source.split(";")[0].replace("|", "\\|") in text
