"""Public shapes of evaluation runs: the request that starts one, the run as the API
answers it (status, progress, estimate, summary), its per-case results and a comparison
with an earlier run. Plain pydantic: no database, no FastAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from promptyard.domain.schemas import (
    LABEL_PATTERN,
    MAX_VERSION,
    NAME_PATTERN,
    Input,
    request_examples,
)

ModelRef = Annotated[str, Field(min_length=3, max_length=300, pattern=r"^[^/\s]+/\S+$")]
RunStatus = Literal["queued", "running", "cancelled", "completed", "failed"]

#: A dataset named with an optional pinned version: ``qa`` or ``qa@3``.
DATASET_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(@[0-9]{1,9})?$"


class EvaluatorIn(Input):
    """An evaluator of the run: a built-in or plugin kind, its name in results, its config."""

    kind: str = Field(min_length=1, max_length=100)
    name: str | None = Field(default=None, pattern=NAME_PATTERN)
    config: dict[str, Any] = Field(default_factory=dict)


class RunCreate(Input):
    """Start a run (or, with ``dry_run``, only estimate its cost)."""

    model_config = request_examples(
        {
            "prompt": "greeting",
            "versions": [1, 2],
            "models": ["fake/echo"],
            "dataset": "greetings",
            "evaluators": [{"kind": "exact_match"}],
            "dry_run": True,
        }
    )

    prompt: str = Field(pattern=NAME_PATTERN, description="the stored prompt to evaluate")
    versions: list[Annotated[int, Field(ge=1, le=MAX_VERSION)]] | None = Field(
        default=None, max_length=8, description="versions to compare (with labels: both)"
    )
    labels: list[Annotated[str, Field(pattern=LABEL_PATTERN)]] | None = Field(
        default=None, max_length=8, description="labels to compare; default: 'latest'"
    )
    models: list[ModelRef] | None = Field(
        default=None,
        max_length=8,
        description="<connection>/<model> each; default: the version's configured model",
    )
    dataset: str = Field(pattern=DATASET_PATTERN, description="dataset name, or name@version")
    dataset_version: int | None = Field(
        default=None, ge=1, le=MAX_VERSION, description="pin a version (default: latest)"
    )
    evaluators: list[EvaluatorIn] = Field(min_length=1, max_length=16)
    repetitions: int = Field(default=1, ge=1, le=20)
    params: dict[str, Any] | None = Field(
        default=None, description="model parameters over the prompt's config, e.g. temperature"
    )
    sweep: dict[str, list[Any]] | None = Field(
        default=None,
        description="variable name -> values: every case runs with each combination",
    )
    use_cache: bool = Field(
        default=True,
        description="reuse an earlier output of an identical call (same rendered prompt, "
        "model, parameters and repetition number) instead of calling the provider",
    )
    concurrency: int = Field(default=8, ge=1, le=256, description="calls in flight at once")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    dry_run: bool = Field(default=False, description="answer the cost estimate, start nothing")


class RunVariantPublic(BaseModel):
    index: int
    version: int | None
    label: str | None
    model: str
    resolved_version: int
    title: str


class RunVariantEstimate(BaseModel):
    index: int
    model: str
    input_tokens: int
    output_tokens: int
    cost: float | None
    price_known: bool


class RunEstimatePublic(BaseModel):
    """What a run would cost, made before it starts."""

    items: int
    cases: int
    variants: list[RunVariantEstimate]
    input_tokens: int
    output_tokens: int
    cost: float | None = Field(description="USD; None when no variant's price is known")
    currency: str = "USD"
    output_basis: str = Field(description="how output tokens were estimated")
    sampled_cases: int = Field(description="cases rendered to count input tokens")
    cache_hits: int = Field(default=0, description="calls an earlier identical call answers")


class RunProgressPublic(BaseModel):
    total: int
    done: int
    failed: int
    cached: int
    percent: float


class RunPublic(BaseModel):
    id: int
    name: str | None
    prompt: str
    variants: list[RunVariantPublic]
    dataset: dict[str, Any]
    evaluators: list[dict[str, Any]]
    repetitions: int
    params: dict[str, Any]
    sweep: dict[str, Any]
    use_cache: bool
    concurrency: int
    status: RunStatus
    progress: RunProgressPublic
    estimate: dict[str, Any]
    actual_cost: float
    error: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    summary: dict[str, Any] | None = Field(
        default=None,
        description="per variant x evaluator: mean or pass rate with a 95% bootstrap "
        "interval; cost, latency; stability across repetitions",
    )


class RunsPublic(BaseModel):
    items: list[RunPublic]
    total: int


class DryRunPublic(BaseModel):
    dry_run: Literal[True] = True
    variants: list[RunVariantPublic]
    estimate: RunEstimatePublic


class RunCaseResult(BaseModel):
    case_index: int
    case_id: str
    input: dict[str, Any]
    expected: str | None
    variants: list[dict[str, Any]]


class RunResultsPublic(BaseModel):
    run_id: int
    items: list[RunCaseResult]
    total: int
    offset: int
    limit: int


class RunComparePublic(BaseModel):
    run_id: int
    baseline_id: int
    variant: int
    baseline_variant: int
    evaluators: list[dict[str, Any]]
    trend: list[dict[str, Any]]
