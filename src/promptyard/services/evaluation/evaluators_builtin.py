"""The built-in rule-based evaluators: each one an :class:`Evaluator` with a pydantic config.

Every score is in 0..1 (1 is best) unless said otherwise, and ``passed`` is the verdict:
a match evaluator passes on 1; a similarity (edit distance, BLEU, ROUGE-L, embeddings)
passes when it reaches the config's ``threshold`` and gives no verdict without one;
bound evaluators (length, tokens, cost, latency) give the measured quantity as ``value``
and pass inside the bounds. docs/evaluators.md documents each with an example.
"""

from __future__ import annotations

import json
import math
import re
import threading
from typing import Any, Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from promptyard.plugins.api import EvaluationInput, Evaluator, EvaluatorResult
from promptyard.services.telemetry import tokens

#: A regex runs at most this long on one output.
REGEX_TIMEOUT_SECONDS = 0.25
MAX_PATTERN_CHARS = 2000


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _result(ok: bool, reason: str, **details: Any) -> EvaluatorResult:
    return EvaluatorResult(value=1.0 if ok else 0.0, passed=ok, reason=reason, details=details)


def _norm(text: str, *, case_sensitive: bool, strip: bool, collapse: bool = False) -> str:
    if strip:
        text = text.strip()
    if collapse:
        text = " ".join(text.split())
    return text if case_sensitive else text.casefold()


# -- matching -----------------------------------------------------------------------------


class ExactMatchConfig(_Config):
    case_sensitive: bool = True
    strip: bool = Field(default=True, description="ignore leading and trailing whitespace")
    normalize_whitespace: bool = Field(default=False, description="any run of spaces is one")


class ExactMatch(Evaluator):
    kind = "exact_match"
    label = "Exact match"
    description = "1 when the output equals the expected output (after the chosen normalisation)."
    config_model = ExactMatchConfig
    requires = ("expected",)

    def evaluate(self, config: ExactMatchConfig, data: EvaluationInput) -> EvaluatorResult:
        args = {"case_sensitive": config.case_sensitive, "strip": config.strip}
        a = _norm(data.output, **args, collapse=config.normalize_whitespace)
        b = _norm(data.expected or "", **args, collapse=config.normalize_whitespace)
        return _result(a == b, "equal to the expected output" if a == b else "differs")


class ContainsConfig(_Config):
    value: str | None = Field(
        default=None, min_length=1, max_length=10_000, description="one text (with values)"
    )
    values: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="texts to look for; empty: the case's expected output",
    )
    require: Literal["all", "any"] = "all"
    case_sensitive: bool = False

    @field_validator("values")
    @classmethod
    def _sizes(cls, values: list[str]) -> list[str]:
        if any(not v or len(v) > 10_000 for v in values):
            raise ValueError("each value: 1 to 10,000 characters")
        return values


def _needles(config: ContainsConfig, data: EvaluationInput) -> list[str]:
    given = [*([config.value] if config.value else []), *config.values]
    needles = given or ([data.expected] if data.expected else [])
    if not needles:
        raise ValueError("give config.values, or a case with an expected output")
    return needles


class Contains(Evaluator):
    kind = "contains"
    label = "Contains"
    description = "1 when the output contains all (or any) of the given texts."
    config_model = ContainsConfig

    def evaluate(self, config: ContainsConfig, data: EvaluationInput) -> EvaluatorResult:
        needles = _needles(config, data)
        hay = data.output if config.case_sensitive else data.output.casefold()
        found = [n for n in needles if (n if config.case_sensitive else n.casefold()) in hay]
        ok = len(found) == len(needles) if config.require == "all" else bool(found)
        missing = [n for n in needles if n not in found]
        reason = "found" if ok else f"missing: {', '.join(repr(m) for m in missing[:5])}"
        return _result(ok, reason, found=found, missing=missing)


class NotContains(Evaluator):
    kind = "not_contains"
    label = "Does not contain"
    description = "1 when the output contains none of the given texts."
    config_model = ContainsConfig

    def evaluate(self, config: ContainsConfig, data: EvaluationInput) -> EvaluatorResult:
        needles = _needles(config, data)
        hay = data.output if config.case_sensitive else data.output.casefold()
        found = [n for n in needles if (n if config.case_sensitive else n.casefold()) in hay]
        reason = "none found" if not found else f"found: {', '.join(repr(f) for f in found[:5])}"
        return _result(not found, reason, found=found)


class RegexConfig(_Config):
    pattern: str = Field(min_length=1, max_length=MAX_PATTERN_CHARS)
    ignore_case: bool = False
    multiline: bool = False
    dotall: bool = False
    full_match: bool = Field(default=False, description="the whole output must match")
    must_match: bool = Field(default=True, description="false: pass when it does NOT match")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            regex.compile(pattern)
        except regex.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern

    def compiled(self) -> Any:
        flags = regex.V0
        flags |= regex.IGNORECASE if self.ignore_case else 0
        flags |= regex.MULTILINE if self.multiline else 0
        flags |= regex.DOTALL if self.dotall else 0
        return regex.compile(self.pattern, flags)


class Regex(Evaluator):
    kind = "regex"
    label = "Regular expression"
    description = (
        "1 when the output matches the pattern (or, with must_match false, does not). "
        f"Matching stops after {REGEX_TIMEOUT_SECONDS} s: a runaway pattern fails the score."
    )
    config_model = RegexConfig

    def evaluate(self, config: RegexConfig, data: EvaluationInput) -> EvaluatorResult:
        pattern = config.compiled()
        find = pattern.fullmatch if config.full_match else pattern.search
        try:
            match = find(data.output, timeout=REGEX_TIMEOUT_SECONDS)
        except TimeoutError:
            return EvaluatorResult(
                reason=f"error: the pattern ran longer than {REGEX_TIMEOUT_SECONDS} s",
                details={"error": "regex_timeout"},
            )
        ok = (match is not None) == config.must_match
        span = list(match.span()) if match is not None else None
        reason = ("matches" if match is not None else "no match") + ("" if ok else " (fails)")
        return _result(ok, reason, match=span)


# -- JSON ---------------------------------------------------------------------------------

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n\s*```\s*$", re.DOTALL)


def _parse_json(text: str, strip_fence: bool) -> tuple[Any, str | None]:
    if strip_fence:
        fenced = _FENCE.match(text)
        if fenced:
            text = fenced.group(1)
    try:
        return json.loads(text), None
    except (ValueError, RecursionError) as exc:
        return None, str(exc)


class JsonValidConfig(_Config):
    strip_code_fence: bool = Field(default=True, description="accept ```json ... ``` around it")


class JsonValid(Evaluator):
    kind = "json_valid"
    label = "Valid JSON"
    description = "1 when the output parses as JSON."
    config_model = JsonValidConfig

    def evaluate(self, config: JsonValidConfig, data: EvaluationInput) -> EvaluatorResult:
        _, error = _parse_json(data.output, config.strip_code_fence)
        return _result(error is None, "valid JSON" if error is None else f"not JSON: {error}")


class JsonSchemaConfig(_Config):
    json_schema: dict[str, Any] = Field(alias="schema", description="a JSON Schema")
    strip_code_fence: bool = True

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, schema: dict[str, Any]) -> dict[str, Any]:
        import jsonschema

        try:
            jsonschema.validators.validator_for(schema).check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
        if len(json.dumps(schema)) > 100_000:
            raise ValueError("the schema is over 100,000 characters")
        return schema


class JsonSchema(Evaluator):
    kind = "json_schema"
    label = "JSON Schema"
    description = "1 when the output is JSON valid against the schema; the errors otherwise."
    config_model = JsonSchemaConfig

    def evaluate(self, config: JsonSchemaConfig, data: EvaluationInput) -> EvaluatorResult:
        import jsonschema

        value, error = _parse_json(data.output, config.strip_code_fence)
        if error is not None:
            return _result(False, f"not JSON: {error}", errors=[error])
        validator = jsonschema.validators.validator_for(config.json_schema)(config.json_schema)
        errors = [
            f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for _, e in zip(range(20), validator.iter_errors(value), strict=False)
        ]
        return _result(not errors, "valid" if not errors else errors[0], errors=errors)


# -- numbers and bounds -------------------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def _number(text: str, extract: bool) -> float | None:
    cleaned = text.strip().replace(",", "") if extract else text.strip()
    try:
        value = float(cleaned)
    except ValueError:
        if not extract:
            return None
        found = _NUMBER.search(cleaned)
        value = float(found.group(0)) if found else math.nan
    return value if math.isfinite(value) else None


class NumericConfig(_Config):
    expected: float | None = Field(default=None, description="default: the case's expected output")
    absolute_tolerance: float = Field(default=0.0, ge=0)
    relative_tolerance: float = Field(default=0.0, ge=0, description="a share of |expected|")
    extract: bool = Field(default=True, description="take the first number in the text")


class Numeric(Evaluator):
    kind = "numeric"
    label = "Numeric tolerance"
    description = (
        "1 when the number in the output is within the tolerance of the expected number: "
        "|output - expected| <= max(absolute_tolerance, relative_tolerance x |expected|)."
    )
    config_model = NumericConfig

    def evaluate(self, config: NumericConfig, data: EvaluationInput) -> EvaluatorResult:
        target = config.expected
        if target is None:
            target = _number(data.expected or "", True)
            if target is None:
                raise ValueError("the expected output holds no number (or set config.expected)")
        got = _number(data.output, config.extract)
        if got is None:
            return _result(False, "the output holds no number", expected=target)
        allowed = max(config.absolute_tolerance, config.relative_tolerance * abs(target))
        diff = abs(got - target)
        ok = diff <= allowed
        return _result(
            ok,
            f"{got:g} vs {target:g} (difference {diff:g}, allowed {allowed:g})",
            output_number=got,
            expected=target,
            difference=diff,
        )


def _bounded(
    value: float | None, low: float | None, high: float | None, what: str
) -> EvaluatorResult:
    if value is None:
        return EvaluatorResult(reason=f"{what} unknown", details={"error": f"{what}_unknown"})
    ok = (low is None or value >= low) and (high is None or value <= high)
    bounds = f"[{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]"
    return EvaluatorResult(
        value=float(value),
        passed=ok,
        reason=f"{what} {value:g} {'in' if ok else 'outside'} {bounds}",
        details={"min": low, "max": high},
    )


class _Bounds(_Config):
    @model_validator(mode="after")
    def _ordered(self) -> _Bounds:
        for low, high in (
            ("min_chars", "max_chars"),
            ("min_words", "max_words"),
            ("min_tokens", "max_tokens"),
        ):
            lo, hi = getattr(self, low, None), getattr(self, high, None)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} is above {high}")
        return self


class LengthConfig(_Bounds):
    min_chars: int | None = Field(default=None, ge=0)
    max_chars: int | None = Field(default=None, ge=0)
    min_words: int | None = Field(default=None, ge=0)
    max_words: int | None = Field(default=None, ge=0)


class Length(Evaluator):
    kind = "length"
    label = "Length bounds"
    description = (
        "Passes when the output's characters and words are within the bounds; value: characters."
    )
    config_model = LengthConfig

    def evaluate(self, config: LengthConfig, data: EvaluationInput) -> EvaluatorResult:
        chars, words = len(data.output), len(data.output.split())
        by_chars = _bounded(chars, config.min_chars, config.max_chars, "characters")
        by_words = _bounded(words, config.min_words, config.max_words, "words")
        ok = bool(by_chars.passed and by_words.passed)
        reason = by_chars.reason if not by_chars.passed else by_words.reason
        return EvaluatorResult(
            value=float(chars),
            passed=ok,
            reason=reason,
            details={"characters": chars, "words": words},
        )


class TokenConfig(_Bounds):
    min_tokens: int | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=0)
    model: str | None = Field(
        default=None,
        max_length=200,
        description="whose tokenizer counts, when the generation has no count",
    )


class TokenCount(Evaluator):
    kind = "token_count"
    label = "Token bounds"
    description = (
        "Passes when the output's tokens are within the bounds: the generation's reported "
        "output tokens, else counted with tiktoken (o200k/cl100k, offline)."
    )
    config_model = TokenConfig

    def evaluate(self, config: TokenConfig, data: EvaluationInput) -> EvaluatorResult:
        reported = (data.generation or {}).get("output_tokens")
        count = (
            int(reported) if reported is not None else tokens.count_text(config.model, data.output)
        )
        result = _bounded(count, config.min_tokens, config.max_tokens, "tokens")
        return EvaluatorResult(
            value=result.value,
            passed=result.passed,
            reason=result.reason,
            details={**result.details, "counted": reported is None},
        )


class CostConfig(_Config):
    max_cost: float = Field(ge=0, description="in the generation's currency (USD)")


class Cost(Evaluator):
    kind = "cost"
    label = "Cost bound"
    description = "Passes when the generation cost at most max_cost; value: the cost."
    config_model = CostConfig

    def evaluate(self, config: CostConfig, data: EvaluationInput) -> EvaluatorResult:
        cost = (data.generation or {}).get("cost")
        return _bounded(None if cost is None else float(cost), None, config.max_cost, "cost")


class LatencyConfig(_Config):
    max_ms: float = Field(gt=0)


class Latency(Evaluator):
    kind = "latency"
    label = "Latency bound"
    description = "Passes when the generation took at most max_ms; value: its latency in ms."
    config_model = LatencyConfig

    def evaluate(self, config: LatencyConfig, data: EvaluationInput) -> EvaluatorResult:
        latency = (data.generation or {}).get("latency_ms")
        return _bounded(
            None if latency is None else float(latency), None, config.max_ms, "latency_ms"
        )


# -- similarity ---------------------------------------------------------------------------


class _Similarity(_Config):
    threshold: float | None = Field(default=None, ge=0, le=1, description="pass at or above")


def _verdict(value: float, threshold: float | None, what: str, **details: Any) -> EvaluatorResult:
    passed = None if threshold is None else value >= threshold
    reason = f"{what} {value:.4f}" + ("" if threshold is None else f" (threshold {threshold:g})")
    return EvaluatorResult(value=value, passed=passed, reason=reason, details=details)


class EditDistanceConfig(_Similarity):
    case_sensitive: bool = True
    max_distance: int | None = Field(
        default=None, ge=0, description="pass at or below this many edits"
    )


class EditDistance(Evaluator):
    kind = "edit_distance"
    label = "Edit distance"
    description = (
        "Levenshtein distance to the expected output (rapidfuzz); value: the normalised "
        "similarity 1 - distance / max(length), details.distance the edits."
    )
    config_model = EditDistanceConfig
    requires = ("expected",)

    def evaluate(self, config: EditDistanceConfig, data: EvaluationInput) -> EvaluatorResult:
        from rapidfuzz.distance import Levenshtein

        a = data.output if config.case_sensitive else data.output.casefold()
        b = (data.expected or "") if config.case_sensitive else (data.expected or "").casefold()
        distance = Levenshtein.distance(a, b)
        similarity = Levenshtein.normalized_similarity(a, b)
        result = _verdict(similarity, config.threshold, "similarity", distance=distance)
        if config.max_distance is not None:
            ok = distance <= config.max_distance and result.passed is not False
            return EvaluatorResult(
                value=similarity,
                passed=ok,
                reason=f"{distance} edits (at most {config.max_distance})",
                details={"distance": distance},
            )
        return result


class BleuConfig(_Similarity):
    tokenize: Literal["13a", "none", "intl", "char", "zh"] = "13a"
    lowercase: bool = False


class Bleu(Evaluator):
    kind = "bleu"
    label = "BLEU"
    description = (
        "Sentence BLEU against the expected output (sacrebleu, smoothed 'exp'), scaled to 0..1."
    )
    config_model = BleuConfig
    requires = ("expected",)

    def evaluate(self, config: BleuConfig, data: EvaluationInput) -> EvaluatorResult:
        import sacrebleu

        score = sacrebleu.sentence_bleu(
            data.output, [data.expected or ""], tokenize=config.tokenize, lowercase=config.lowercase
        )
        return _verdict(
            score.score / 100.0,
            config.threshold,
            "BLEU",
            bleu=score.score,
            precisions=list(score.precisions),
            brevity_penalty=score.bp,
        )


class RougeConfig(_Similarity):
    use_stemmer: bool = True
    measure: Literal["fmeasure", "precision", "recall"] = "fmeasure"


class RougeL(Evaluator):
    kind = "rouge_l"
    label = "ROUGE-L"
    description = "ROUGE-L (longest common subsequence) against the expected output (rouge-score)."
    config_model = RougeConfig
    requires = ("expected",)

    def evaluate(self, config: RougeConfig, data: EvaluationInput) -> EvaluatorResult:
        from rouge_score import rouge_scorer

        scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=config.use_stemmer)
        score = scorer.score(data.expected or "", data.output)["rougeL"]
        return _verdict(
            getattr(score, config.measure),
            config.threshold,
            "ROUGE-L",
            precision=score.precision,
            recall=score.recall,
            fmeasure=score.fmeasure,
        )


_EMBEDDER: list[Any] = []
_EMBEDDER_LOCK = threading.Lock()


def _embedder() -> Any:
    from promptyard.services.quality import embeddings

    with _EMBEDDER_LOCK:
        if not _EMBEDDER:
            _EMBEDDER.append(embeddings.Embedder())
        return _EMBEDDER[0]


class EmbeddingSimilarity(Evaluator):
    kind = "embedding_similarity"
    label = "Embedding similarity"
    description = (
        "Cosine similarity of the output's and the expected output's embeddings "
        "(all-MiniLM-L6-v2 of the promptyard[semantic] extra, run locally); unavailable "
        "without the extra."
    )
    config_model = _Similarity
    requires = ("expected",)

    def unavailable(self) -> str | None:
        from promptyard.services.quality import embeddings

        ok, why = embeddings.availability()
        return None if ok else why

    def evaluate(self, config: _Similarity, data: EvaluationInput) -> EvaluatorResult:
        vectors = _embedder().embed([data.output, data.expected or ""])
        cosine = float((vectors[0] * vectors[1]).sum())
        return _verdict(max(-1.0, min(1.0, cosine)), config.threshold, "cosine")


BUILTIN: tuple[Evaluator, ...] = (
    ExactMatch(),
    Contains(),
    NotContains(),
    Regex(),
    JsonValid(),
    JsonSchema(),
    Numeric(),
    Length(),
    TokenCount(),
    Cost(),
    Latency(),
    EditDistance(),
    Bleu(),
    RougeL(),
    EmbeddingSimilarity(),
)
