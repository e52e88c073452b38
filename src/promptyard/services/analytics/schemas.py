"""What the analytics routes answer (JSON; the same rows as CSV)."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field

Bucket = Literal["minute", "hour", "day", "week"]


class UsagePoint(BaseModel):
    """Calls, tokens, users and feedback of one bucket (``bucket`` = its start, UTC)."""

    bucket: datetime
    calls: int
    errors: int
    error_rate: float | None
    input_tokens: int
    output_tokens: int
    total_tokens: int
    unique_users: int | None = Field(description="HLL estimate, ~1.8 % relative error")
    feedback_mean: float | None = Field(description="mean score feedback, 0..1")
    feedback_count: int
    thumbs_up: int
    thumbs_down: int
    thumbs_ratio: float | None = Field(description="thumbs up / (up + down)")
    nps: float | None = Field(description="% promoters (9-10) - % detractors (0-6)")
    nps_count: int


class PerformancePoint(BaseModel):
    """Latency and time to first token (milliseconds) and errors of one bucket;
    percentiles from merged KLL sketches (rank error ~1.3 %)."""

    bucket: datetime
    calls: int
    errors: int
    error_rate: float | None
    latency_mean_ms: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    ttft_p99_ms: float | None


class CostPoint(BaseModel):
    """Cost (in the generations' currency, USD unless a price override says otherwise)
    and tokens of one bucket."""

    bucket: datetime
    calls: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost: float
    cost_per_call: float | None = Field(description="over calls with a known cost")
    cost_per_1k_calls: float | None


P = TypeVar("P", UsagePoint, PerformancePoint, CostPoint)


class Series(BaseModel, Generic[P]):
    group: dict[str, str] = Field(description="the group's value per group_by dimension")
    total: P = Field(description="the whole range (its bucket is since)")
    points: list[P] = Field(description="one per bucket, empty buckets as zeros")


class AnalyticsPage(BaseModel, Generic[P]):
    since: datetime
    until: datetime
    bucket: Bucket
    group_by: list[str]
    filters: dict[str, str]
    series: list[Series[P]]
    groups_dropped: int = Field(
        description="groups left out (fewest calls first) to keep buckets x groups <= 400"
    )


class ComparedMetric(BaseModel):
    metric: Literal[
        "cost_per_call",
        "latency_mean_ms",
        "latency_p50_ms",
        "latency_p95_ms",
        "error_rate",
        "feedback_mean",
        "thumbs_ratio",
    ]
    a: float | None
    b: float | None
    n_a: int
    n_b: int
    difference: float | None = Field(description="b - a")
    ci_low: float | None = Field(description="95 % interval of b - a")
    ci_high: float | None
    relative: float | None = Field(description="b / a - 1")
    relative_ci_low: float | None
    relative_ci_high: float | None
    significant: bool
    method: str


class VersionComparison(BaseModel):
    dimension: Literal["version", "model"]
    prompt: str | None
    a: str
    b: str
    since: datetime
    until: datetime
    metrics: list[ComparedMetric]
    summary: str = Field(description="the comparison in one or two sentences")


class TrendPoint(BaseModel):
    bucket: datetime
    calls: int
    cost: float
    cost_per_call: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    error_rate: float | None
    feedback_mean: float | None
    thumbs_ratio: float | None


class TrendMarker(BaseModel):
    at: datetime
    kind: Literal["version", "label"]
    version: int | None
    label: str | None = None
    from_version: int | None = None
    text: str


class ForecastPublic(BaseModel):
    month: str = Field(description="YYYY-MM (UTC)")
    spent: float = Field(description="cost from the 1st of the month to now")
    forecast: float = Field(description="expected cost of the whole month")
    daily_rate: float
    days_left: float
    method: str


class TrendsPublic(BaseModel):
    prompt: str | None
    since: datetime
    until: datetime
    bucket: Bucket
    points: list[TrendPoint]
    versions: dict[str, list[TrendPoint]] = Field(description="the same points per version")
    markers: list[TrendMarker]
    forecast: ForecastPublic
