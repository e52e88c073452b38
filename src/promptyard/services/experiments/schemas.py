"""Public shapes of experiments: design, lifecycle, results, the power calculator.
Plain pydantic: no database, no FastAPI."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from promptyard.domain.schemas import LABEL_PATTERN, NAME_PATTERN, Input, request_examples

Direction = Literal["higher", "lower"]
Unit = Literal["user", "session"]
Status = Literal["draft", "running", "stopped"]

#: Built-in online metrics; ``score:<evaluator>`` (online evaluation scores) and
#: ``meta:<key>`` (a numeric key of the generations' metadata) name the others.
BUILTIN_METRICS = ("feedback", "cost", "latency", "error_rate")
GUARDRAIL_METRICS = ("cost", "latency", "error_rate")
METRIC_PATTERN = (
    r"^(feedback|cost|latency|error_rate"
    r"|score:[A-Za-z0-9][A-Za-z0-9._-]{0,99}|meta:[A-Za-z0-9_][A-Za-z0-9._-]{0,99})$"
)
_METRIC = re.compile(METRIC_PATTERN)
#: Which way is better when the experiment does not say.
DEFAULT_DIRECTIONS: dict[str, Direction] = {
    "cost": "lower",
    "latency": "lower",
    "error_rate": "lower",
}
#: Metrics that are rates (a two-proportion test); the others are means (Welch).
RATE_METRICS = frozenset({"error_rate"})


def direction_of(metric: str, directions: dict[str, Any]) -> Direction:
    found = directions.get(metric) or DEFAULT_DIRECTIONS.get(metric, "higher")
    return "lower" if found == "lower" else "higher"


class VariantIn(Input):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    label: str = Field(min_length=1, max_length=64, pattern=LABEL_PATTERN)
    weight: float = Field(1.0, ge=0, le=1_000_000)


class DesignIn(Input):
    """What the power calculation needs: the primary metric's ``baseline`` (a rate for
    rates, a mean otherwise), its standard deviation ``sd`` (means only) and the
    minimum detectable effect ``mde`` (absolute, in the metric's units)."""

    baseline: float | None = Field(None, ge=-1e12, le=1e12)
    sd: float | None = Field(None, gt=0, le=1e12)
    mde: float | None = Field(None, gt=0, le=1e12)


class ExperimentCreate(Input):
    model_config = request_examples(
        {
            "name": "greeting-tone",
            "prompt": "greeting",
            "variants": [
                {"name": "control", "label": "production", "weight": 1},
                {"name": "friendly", "label": "staging", "weight": 1},
            ],
            "unit": "user",
            "primary_metric": "feedback",
            "metrics": ["meta:resolved"],
            "guardrails": ["cost", "latency", "error_rate"],
            "design": {"baseline": 0.6, "sd": 0.49, "mde": 0.05},
        }
    )

    name: str = Field(min_length=1, max_length=128, pattern=NAME_PATTERN)
    prompt: str = Field(min_length=1, max_length=128, pattern=NAME_PATTERN)
    description: str | None = Field(None, max_length=4000)
    variants: list[VariantIn] = Field(min_length=2, max_length=10)
    unit: Unit = "user"
    primary_metric: str = Field("feedback", max_length=110, pattern=METRIC_PATTERN)
    metrics: list[str] = Field(default_factory=list, max_length=20)
    guardrails: list[str] = Field(
        default_factory=lambda: list(GUARDRAIL_METRICS), max_length=len(GUARDRAIL_METRICS)
    )
    directions: dict[str, Direction] = Field(default_factory=dict, max_length=30)
    design: DesignIn = Field(default_factory=lambda: DesignIn(baseline=None, sd=None, mde=None))
    alpha: float = Field(0.05, ge=0.001, le=0.2)
    power: float = Field(0.8, ge=0.5, le=0.99)

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: list[str]) -> list[str]:
        for metric in value:
            if not _METRIC.match(metric):
                raise ValueError(
                    f"unknown metric {metric!r}: use feedback, cost, latency, error_rate, "
                    "score:<evaluator> or meta:<metadata key>"
                )
        return list(dict.fromkeys(value))

    @field_validator("guardrails")
    @classmethod
    def _guardrails(cls, value: list[str]) -> list[str]:
        for metric in value:
            if metric not in GUARDRAIL_METRICS:
                raise ValueError(f"guardrails are among {', '.join(GUARDRAIL_METRICS)}")
        return list(dict.fromkeys(value))

    @field_validator("directions")
    @classmethod
    def _directions(cls, value: dict[str, Direction]) -> dict[str, Direction]:
        for metric in value:
            if not _METRIC.match(metric):
                raise ValueError(f"directions: unknown metric {metric!r}")
        return value

    @model_validator(mode="after")
    def _variants(self) -> ExperimentCreate:
        names = [v.name for v in self.variants]
        labels = [v.label for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError("variant names must differ")
        if len(set(labels)) != len(labels):
            raise ValueError("each variant serves its own label")
        if "latest" in labels:
            raise ValueError("'latest' moves with every save: give a variant a label of its own")
        if sum(v.weight for v in self.variants) <= 0:
            raise ValueError("at least one variant needs a positive weight")
        return self


class VariantPublic(BaseModel):
    name: str
    label: str
    weight: float
    stopped: bool = Field(False, description="a guardrail stopped it")


class ExperimentPublic(BaseModel):
    id: int
    name: str
    project: str
    prompt: str
    description: str | None
    status: Status
    unit: Unit
    variants: list[VariantPublic]
    primary_metric: str
    metrics: list[str]
    guardrails: list[str]
    directions: dict[str, Direction]
    design: dict[str, Any]
    alpha: float
    power: float
    sample_size: int | None = Field(description="units per variant the design needs")
    stop_reason: str | None
    promoted: dict[str, Any] | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    stopped_at: datetime | None


class ExperimentsPublic(BaseModel):
    items: list[ExperimentPublic]


class StopRequest(Input):
    model_config = request_examples({"reason": "enough data"})
    reason: str | None = Field(None, max_length=1000)


class PromoteRequest(Input):
    model_config = request_examples({"variant": "friendly"})
    variant: str | None = Field(
        None, max_length=64, description="default: the primary metric's better variant"
    )
    description: str = Field("", max_length=4000)
    sample_variables: dict[str, Any] = Field(
        default_factory=dict,
        max_length=200,
        description="for the review gates when the label is protected (a change request)",
    )


class PromotionPublic(BaseModel):
    experiment: ExperimentPublic
    label: str
    version: int
    applied: bool = Field(description="the label moved now (else a change request waits)")
    change_request: int | None


class PowerRequest(Input):
    """Means: ``baseline`` (optional), ``sd`` and ``mde`` (absolute), or ``effect_size``
    (Cohen's d); rates: ``baseline`` rate and ``mde`` (absolute points, e.g. 0.02)."""

    model_config = request_examples({"kind": "proportion", "baseline": 0.2, "mde": 0.02})

    kind: Literal["mean", "proportion"] = "mean"
    baseline: float | None = Field(None, ge=-1e12, le=1e12)
    sd: float | None = Field(None, gt=0, le=1e12)
    mde: float | None = Field(None, gt=0, le=1e12)
    effect_size: float | None = Field(None, gt=0, le=100)
    alpha: float = Field(0.05, ge=0.001, le=0.2)
    power: float = Field(0.8, ge=0.5, le=0.99)
    paired: bool = False
    variants: int = Field(2, ge=2, le=10)
    daily_units: float | None = Field(None, gt=0, le=1e12)


class PowerPublic(BaseModel):
    kind: str
    per_variant: int
    total: int
    effect_size: float | None
    alpha: float
    power: float
    days: float | None = Field(description="days to reach it at daily_units")
    text: str


class AssignmentPublic(BaseModel):
    experiment_id: int
    experiment: str
    variant: str
    label: str
    unit: Unit


class ActiveVariant(BaseModel):
    name: str
    label: str
    weight: float
    stopped: bool = False


class ActiveExperiment(BaseModel):
    """What an SDK needs to assign locally (``domain/experiments.py``)."""

    id: int
    name: str
    prompt: str
    unit: Unit
    control_label: str
    variants: list[ActiveVariant]


class ActiveExperiments(BaseModel):
    items: list[ActiveExperiment]


class Interval(BaseModel):
    low: float | None
    high: float | None


class VariantStats(BaseModel):
    variant: str
    n: int
    value: float | None = Field(description="mean, or rate for rates")


class ComparisonPublic(BaseModel):
    variant: str
    test: str
    estimate: float | None = Field(description="variant - control")
    relative: float | None
    ci: Interval
    p_value: float | None
    effect_name: str
    effect_size: float | None
    effect_ci: Interval
    always_valid_p: float | None
    always_valid_ci: Interval
    verdict: str
    verdict_text: str
    error_probability: float | None
    needed_per_variant: int | None
    extra_tests: dict[str, Any] = Field(default_factory=dict)


class SeriesPoint(BaseModel):
    day: str
    variant: str
    n: int
    estimate: float | None
    ci: Interval
    always_valid_ci: Interval
    always_valid_p: float | None


class MetricResult(BaseModel):
    metric: str
    kind: Literal["mean", "rate"]
    direction: Direction
    role: Literal["primary", "secondary", "guardrail"]
    variants: list[VariantStats]
    comparisons: list[ComparisonPublic]
    series: list[SeriesPoint]
    note: str | None = None


class SrmPublic(BaseModel):
    observed: list[int]
    expected: list[float]
    p_value: float
    mismatch: bool
    text: str


class ResultsPublic(BaseModel):
    experiment: ExperimentPublic
    generations: int
    units: dict[str, int]
    srm: SrmPublic | None
    metrics: list[MetricResult]
    guardrail_breach: list[str]
    verdict: str
    verdict_text: str
    seconds: float


class OfflineCompareIn(Input):
    """Per-case scores of two or more variants; the first is the control."""

    model_config = request_examples(
        {
            "kind": "score",
            "variants": {
                "v6": {"case-1": 0.6, "case-2": 0.7, "case-3": 0.5},
                "v7": {"case-1": 0.7, "case-2": 0.8, "case-3": 0.6},
            },
        }
    )

    kind: Literal["score", "pass_fail"] = "score"
    test: Literal["auto", "paired_t", "wilcoxon"] = "auto"
    metric: str = Field("score", min_length=1, max_length=100)
    direction: Direction = "higher"
    alpha: float = Field(0.05, ge=0.001, le=0.2)
    variants: dict[str, dict[str, float]] = Field(min_length=2, max_length=10)

    @field_validator("variants")
    @classmethod
    def _sizes(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for name, scores in value.items():
            if not 1 <= len(name) <= 64:
                raise ValueError("variant names are 1 to 64 characters")
            if len(scores) > 100_000:
                raise ValueError("at most 100,000 cases per variant")
            for key, score in scores.items():
                if len(key) > 200:
                    raise ValueError("case keys are at most 200 characters")
                if score != score or abs(score) > 1e12:
                    raise ValueError(f"case {key!r}: a score must be a finite number")
        return value


class OfflineComparisonPublic(BaseModel):
    control: str
    metric: str
    cases: int
    comparisons: list[ComparisonPublic]
