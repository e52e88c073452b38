"""Helpers of the monitoring tests: the real Prometheus tools, and /metrics parsed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"
RULES = MONITORING / "prometheus" / "promptyard-rules.yml"
RULE_TESTS = MONITORING / "prometheus" / "promptyard-rules.test.yml"


def tool(name: str) -> str:
    """The path of Debian's ``prometheus`` or ``promtool``; fails (never skips) without it."""
    found = shutil.which(name) or (
        f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
    )
    assert found, (
        f"{name} is not installed: `apt-get install -y prometheus` (Debian's package; "
        ".ci/run installs it) provides /usr/bin/prometheus and /usr/bin/promtool"
    )
    return found


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a text exposition, parsed by prometheus_client's own parser:
    ``{(sample name, sorted labels): value}``."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: Any) -> float | None:
    """The value of one sample (``None`` when absent)."""
    wanted = tuple(sorted((key, str(val)) for key, val in labels.items()))
    return samples(text).get((name, wanted))


def label_values(text: str, name: str, label: str) -> set[str]:
    return {
        dict(labels)[label]
        for (sample, labels), _ in samples(text).items()
        if sample == name and label in dict(labels)
    }
