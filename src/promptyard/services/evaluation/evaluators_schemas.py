"""Public shapes of evaluators and scores: the catalogue, a test run, stored scores."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from promptyard.domain.schemas import Input, request_examples

# -- evaluators ------------------------------------------------------------------------


class EvaluatorKindPublic(BaseModel):
    kind: str
    label: str
    description: str
    requires: list[str] = Field(description="what a call must supply: expected, output_b, model")
    source: str = Field(description="evaluator (a rule) or judge (a model decides)")
    available: bool
    unavailable_reason: str | None
    builtin: bool
    config_schema: dict[str, Any] = Field(description="the config's JSON Schema")


class EvaluatorKindsPublic(BaseModel):
    items: list[EvaluatorKindPublic]


#: ``POST /evaluators/test`` bounds: an output, an expected output, the second output.
MAX_TEST_CHARS = 100_000


class EvaluatorTest(Input):
    """Run one evaluator on a given output (nothing is stored but a judge's generation)."""

    model_config = request_examples(
        {
            "kind": "exact_match",
            "config": {"case_sensitive": False},
            "output": "Hello, Ada!",
            "expected": "hello, ada!",
        }
    )

    kind: str = Field(min_length=1, max_length=100)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    config: dict[str, Any] = Field(default_factory=dict)
    output: str = Field(max_length=MAX_TEST_CHARS)
    expected: str | None = Field(default=None, max_length=MAX_TEST_CHARS)
    input: dict[str, Any] = Field(default_factory=dict)
    output_b: str | None = Field(default=None, max_length=MAX_TEST_CHARS)
    generation: dict[str, float | int | None] | None = Field(
        default=None, description="input_tokens, output_tokens, cost, latency_ms"
    )
    seed: int | None = Field(default=None, ge=0, le=2**31)


class ScorePublic(BaseModel):
    name: str
    kind: str
    value: float | None
    passed: bool | None
    reason: str | None
    cost: float | None
    source: str
    details: dict[str, Any]


class StoredScorePublic(BaseModel):
    id: int
    generation_id: str | None
    name: str
    value: float | None
    passed: bool | None
    reason: str | None
    source: str
    cost: float | None
    run_id: int | None
    case_id: str | None
    details: dict[str, Any]
    created_by: str
    created_at: datetime


class ScoresPublic(BaseModel):
    items: list[StoredScorePublic]
