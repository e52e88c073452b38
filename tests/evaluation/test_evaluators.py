"""Each built-in evaluator on known inputs; specs are validated; plugins add kinds."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sacrebleu
from rouge_score import rouge_scorer

from promptyard.domain.errors import ValidationFailed
from promptyard.plugins.api import EvaluationInput, Evaluator, EvaluatorResult
from promptyard.plugins.hookspecs import hookimpl
from promptyard.services.context import Core
from promptyard.services.evaluation import evaluators
from promptyard.services.evaluation.datasets import Case
from promptyard.services.evaluation.evaluators import EvaluatorSpec
from promptyard.wiring import build_core


def run(
    core: Core,
    kind: str,
    output: str,
    expected: str | None = None,
    generation: dict[str, Any] | None = None,
    **config: Any,
) -> evaluators.Score:
    case = Case(id="c1", input={"name": "Ada"}, expected=expected)
    spec = EvaluatorSpec(kind=kind, name=kind, config=config)
    evaluators.validate_spec(spec, core)
    return evaluators.evaluate(core, spec, case=case, output=output, generation=generation)


@pytest.mark.parametrize(
    ("kind", "output", "expected", "config", "value", "passed"),
    [
        ("exact_match", " Hello ", "Hello", {}, 1.0, True),
        ("exact_match", "hello", "Hello", {}, 0.0, False),
        ("exact_match", "hello", "Hello", {"case_sensitive": False}, 1.0, True),
        ("exact_match", "a  b", "a b", {"normalize_whitespace": True}, 1.0, True),
        ("contains", "The capital is Paris.", None, {"values": ["paris"]}, 1.0, True),
        ("contains", "Paris", None, {"values": ["Paris", "Lyon"]}, 0.0, False),
        ("contains", "Paris", None, {"values": ["Paris", "Lyon"], "require": "any"}, 1.0, True),
        ("contains", "it is 42.", "42", {}, 1.0, True),
        ("contains", "Hi Ada", None, {"value": "ada"}, 1.0, True),
        ("not_contains", "All fine", None, {"values": ["sorry", "as an AI"]}, 1.0, True),
        ("not_contains", "Sorry, no", None, {"values": ["sorry"]}, 0.0, False),
        ("regex", "order #12345", None, {"pattern": r"#\d{5}\b"}, 1.0, True),
        ("regex", "12345", None, {"pattern": r"\d+", "full_match": True}, 1.0, True),
        ("regex", "secret=1", None, {"pattern": "secret", "must_match": False}, 0.0, False),
        ("json_valid", '{"a": 1}', None, {}, 1.0, True),
        ("json_valid", '```json\n{"a": 1}\n```', None, {}, 1.0, True),
        ("json_valid", "{a: 1}", None, {}, 0.0, False),
        ("numeric", "About 3.14", "3.1416", {"absolute_tolerance": 0.01}, 1.0, True),
        ("numeric", "1,050", "1000", {"relative_tolerance": 0.04}, 0.0, False),
        ("numeric", "1,050", "1000", {"relative_tolerance": 0.05}, 1.0, True),
        ("numeric", "no number", "1", {}, 0.0, False),
        ("length", "three short words", None, {"max_words": 3, "min_chars": 5}, 17.0, True),
        ("length", "three short words", None, {"max_chars": 10}, 17.0, False),
        ("edit_distance", "kitten", "sitting", {"max_distance": 3}, 1 - 3 / 7, True),
        ("edit_distance", "kitten", "sitting", {"threshold": 0.9}, 1 - 3 / 7, False),
    ],
)
def test_rule_evaluators_on_known_inputs(
    core: Core,
    kind: str,
    output: str,
    expected: str | None,
    config: dict[str, Any],
    value: float,
    passed: bool,
) -> None:
    score = run(core, kind, output, expected, **config)
    assert score.value == pytest.approx(value)
    assert score.passed is passed
    assert score.name == kind and score.source == "evaluator"


def test_json_schema_lists_what_is_wrong(core: Core) -> None:
    schema = {
        "type": "object",
        "properties": {"age": {"type": "integer", "minimum": 0}},
        "required": ["age", "name"],
    }
    good = run(core, "json_schema", '{"age": 3, "name": "x"}', schema=schema)
    assert (good.value, good.passed) == (1.0, True)
    bad = run(core, "json_schema", '{"age": -1}', schema=schema)
    assert bad.passed is False
    assert any("name" in e for e in bad.details["errors"])
    assert any(e.startswith("age:") for e in bad.details["errors"])
    with pytest.raises(ValidationFailed, match="JSON Schema"):
        evaluators.validate_spec(EvaluatorSpec("json_schema", "s", {"schema": {"type": 5}}))


def test_bounds_use_the_generation(core: Core) -> None:
    generation = {"output_tokens": 120, "cost": 0.004, "latency_ms": 850.0}
    tokens = run(core, "token_count", "x", generation=generation, max_tokens=100)
    assert (tokens.value, tokens.passed) == (120.0, False)
    counted = run(core, "token_count", "hello world", max_tokens=100, model="gpt-4o")
    assert counted.value == 2.0 and counted.passed is True and counted.details["counted"]
    cost = run(core, "cost", "x", generation=generation, max_cost=0.01)
    assert (cost.value, cost.passed) == (0.004, True)
    latency = run(core, "latency", "x", generation=generation, max_ms=500)
    assert (latency.value, latency.passed) == (850.0, False)
    unknown = run(core, "cost", "x", max_cost=1)
    assert unknown.value is None and unknown.passed is None and "unknown" in (unknown.reason or "")


def test_bleu_and_rouge_match_the_libraries(core: Core) -> None:
    hyp, ref = "the cat is on the mat", "the cat sat on the mat"
    bleu = run(core, "bleu", hyp, ref, threshold=0.1)
    assert bleu.value == pytest.approx(sacrebleu.sentence_bleu(hyp, [ref]).score / 100)
    assert run(core, "bleu", ref, ref).value == pytest.approx(1.0)
    rouge = run(core, "rouge_l", hyp, ref)
    # LCS "the cat on the mat": 5 of 6 tokens each way.
    assert rouge.value == pytest.approx(5 / 6)
    expected = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True).score(ref, hyp)
    assert rouge.value == pytest.approx(expected["rougeL"].fmeasure)
    assert rouge.passed is None  # no threshold, no verdict


def test_catastrophic_regex_is_stopped(core: Core) -> None:
    started = time.perf_counter()
    score = run(core, "regex", "a" * 60 + "b", pattern=r"(a|aa)+$")
    assert time.perf_counter() - started < 5
    assert score.value is None and score.details.get("error") == "regex_timeout"
    with pytest.raises(ValidationFailed, match="regular expression"):
        evaluators.validate_spec(EvaluatorSpec("regex", "r", {"pattern": "(unclosed"}))


def test_embedding_similarity_runs_or_says_it_is_unavailable(core: Core) -> None:
    score = run(core, "embedding_similarity", "The cat sat.", "A cat was sitting.")
    if score.details.get("unavailable"):
        assert "promptyard[semantic]" in (score.reason or "")
    else:
        far = run(core, "embedding_similarity", "Quarterly tax filing.", "A cat was sitting.")
        assert score.value is not None and far.value is not None
        assert score.value > far.value


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (EvaluatorSpec("nope", "x", {}), "unknown evaluator kind"),
        (EvaluatorSpec("exact_match", "x", {"bogus": 1}), "bogus"),
        (EvaluatorSpec("llm_judge", "x", {"model": "fake/echo", "criteria": []}), "criteria"),
        (EvaluatorSpec("length", "x", {"min_chars": 9, "max_chars": 2}), "above"),
    ],
)
def test_bad_specs_are_refused_with_a_clear_message(
    core: Core, spec: EvaluatorSpec, words: str
) -> None:
    with pytest.raises(ValidationFailed, match=words):
        evaluators.validate_spec(spec, core)


def test_missing_expected_is_a_validation_error(core: Core) -> None:
    with pytest.raises(ValidationFailed, match="expected"):
        run(core, "exact_match", "x", None)


def test_catalogue_has_every_kind_with_a_config_schema(core: Core) -> None:
    kinds = {e["kind"]: e for e in evaluators.catalogue(core)}
    for kind in (
        "exact_match",
        "contains",
        "not_contains",
        "regex",
        "json_valid",
        "json_schema",
        "numeric",
        "length",
        "token_count",
        "cost",
        "latency",
        "edit_distance",
        "bleu",
        "rouge_l",
        "embedding_similarity",
        "llm_judge",
        "pairwise",
    ):
        assert kinds[kind]["config_schema"]["type"] == "object", kind
        assert kinds[kind]["description"]
    assert "pattern" in kinds["regex"]["config_schema"]["properties"]
    assert kinds["llm_judge"]["source"] == "judge"


class _Shouty(Evaluator):
    kind = "shouty"
    label = "Shouting"
    description = "1 when the output is all capitals."

    def evaluate(self, config: Any, data: EvaluationInput) -> EvaluatorResult:
        return EvaluatorResult(value=float(data.output.isupper()), passed=data.output.isupper())


class _Plugin:
    @hookimpl
    def register_evaluators(self, register: Any) -> None:
        register(_Shouty())


def test_a_plugin_registers_an_evaluator(core: Core) -> None:
    plugged = build_core(core.settings, core.store, plugins=[_Plugin()], entry_points=False)
    assert "shouty" in {e["kind"] for e in evaluators.catalogue(plugged)}
    score = evaluators.evaluate(
        plugged, EvaluatorSpec("shouty", "loud", {}), case=None, output="HEY"
    )
    assert (score.name, score.value, score.passed) == ("loud", 1.0, True)
    with pytest.raises(ValidationFailed):
        evaluators.validate_spec(EvaluatorSpec("shouty", "loud", {}), core)
