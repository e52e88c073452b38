"""Precision and recall of the rules on a labelled corpus (bench/data/quality_corpus.jsonl).

A snippet is labelled with the ids of the rules it should trigger. A rule *detects* a
snippet when it reports at least one finding in it; ``injection-variable-placement``
counts only at medium severity or above (its low findings, a variable left undelimited at
the very end of the instructions, are advice). Precision and recall are counted per rule,
per snippet: one snippet, one decision per rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptyard.plugins.api import QualityRule
from promptyard.services.quality import engine

#: Rules whose findings count only at this severity or above.
MIN_SEVERITY: dict[str, str] = {"injection-variable-placement": "medium"}


@dataclass
class Tally:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    missed: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


def load_corpus(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def detected(rules: Mapping[str, QualityRule], snippet: Mapping[str, Any]) -> set[str]:
    """The security rules that detect the snippet."""
    result = engine.evaluate(
        rules,
        name=snippet.get("id", "snippet"),
        type_=snippet["type"],
        content=snippet["content"],
        config=snippet.get("config") or {},
        variables=(),
    )
    found = set()
    for finding in result["findings"]:
        if finding["category"] != "security":
            continue
        floor = MIN_SEVERITY.get(finding["rule"])
        if floor and engine.severity_rank(finding["severity"]) < engine.severity_rank(floor):
            continue
        found.add(finding["rule"])
    return found


def tally(
    rules: Mapping[str, QualityRule], snippets: Iterable[Mapping[str, Any]]
) -> dict[str, Tally]:
    """One :class:`Tally` per security rule, and ``any`` (a snippet with at least one
    finding against a snippet labelled with at least one)."""
    ids = sorted(r.id for r in rules.values() if r.category == "security")
    tallies = {rule: Tally() for rule in [*ids, "any"]}
    for snippet in snippets:
        expected = set(snippet["labels"])
        found = detected(rules, snippet)
        for rule in ids:
            _count(tallies[rule], rule in expected, rule in found, snippet["id"])
        _count(tallies["any"], bool(expected), bool(found), snippet["id"])
    return tallies


def _count(entry: Tally, expected: bool, found: bool, snippet_id: str) -> None:
    if expected and found:
        entry.true_positives += 1
    elif found:
        entry.false_positives += 1
        entry.spurious.append(snippet_id)
    elif expected:
        entry.false_negatives += 1
        entry.missed.append(snippet_id)
