"""The security rules keep a floor of precision and recall on the labelled corpus
(bench/data/quality_corpus.jsonl; bench/quality_scan.py prints the figures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptyard.plugins.manager import build_plugin_manager, collect_quality_rules
from promptyard.services.quality import measure

CORPUS = Path(__file__).resolve().parents[2] / "bench" / "data" / "quality_corpus.jsonl"
#: Floors per rule on the snippets the rules were corrected against (all 1.00 today).
DEV_FLOOR = 0.9
#: Floors of "any finding" on the held-out snippets (1.00 and 0.85 today).
HOLDOUT_PRECISION, HOLDOUT_RECALL = 0.9, 0.8


@pytest.fixture(scope="module")
def snippets() -> list[dict]:
    return measure.load_corpus(CORPUS)


@pytest.fixture(scope="module")
def rules() -> dict:
    return collect_quality_rules(build_plugin_manager(entry_points=False))


def test_the_corpus_is_large_half_clean_and_labelled_with_real_rules(
    snippets: list[dict], rules: dict
) -> None:
    assert len(snippets) >= 200
    clean = [s for s in snippets if not s["labels"]]
    assert 0.4 <= len(clean) / len(snippets) <= 0.6
    security = {r.id for r in rules.values() if r.category == "security"}
    for snippet in snippets:
        assert set(snippet["labels"]) <= security, snippet["id"]
    assert {label for s in snippets for label in s["labels"]} == security
    assert len({s["id"] for s in snippets}) == len(snippets)
    assert json.dumps(snippets)  # plain JSON all through


def test_each_rule_keeps_its_floor_on_the_dev_snippets(snippets: list[dict], rules: dict) -> None:
    dev = [s for s in snippets if s["split"] == "dev"]
    tallies = measure.tally(rules, dev)
    low = {
        rule: (round(t.precision, 2), round(t.recall, 2), t.missed, t.spurious)
        for rule, t in tallies.items()
        if t.precision < DEV_FLOOR or t.recall < DEV_FLOOR
    }
    assert not low, low


def test_the_held_out_snippets_keep_their_floor(snippets: list[dict], rules: dict) -> None:
    holdout = [s for s in snippets if s["split"] == "holdout"]
    assert len(holdout) >= 30
    overall = measure.tally(rules, holdout)["any"]
    assert overall.precision >= HOLDOUT_PRECISION, overall.spurious
    assert overall.recall >= HOLDOUT_RECALL, overall.missed


def test_a_finding_never_repeats_a_planted_secret(snippets: list[dict], rules: dict) -> None:
    from promptyard.services.quality import engine

    for snippet in snippets:
        if "secret" not in snippet["labels"]:
            continue
        result = engine.evaluate(
            rules,
            name="s",
            type_=snippet["type"],
            content=snippet["content"],
            config={},
            variables=(),
        )
        for finding in result["findings"]:
            if finding["rule"] == "secret":
                assert "characters)" in finding["detail"]
                assert len(finding["detail"].split(": ", 1)[1].split("…")[0]) <= 4
