"""Public shapes of the generation record and feedback. Plain pydantic: no database, no
FastAPI. The SDK's reporter sends :class:`GenerationIn` items to
``POST /api/v1/generations/batch`` and feedback as :class:`FeedbackInput`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, model_validator

from promptyard.domain.schemas import (
    MAX_TAGS,
    MAX_VERSION,
    NAME_PATTERN,
    Input,
    check_storable,
    request_examples,
)

#: Ids an app may choose: letters, digits and ``. _ : -`` (UUIDs, ULIDs, OTel hex ids).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
#: Above this a token count is refused as absurd (no model has a context this large).
MAX_TOKENS = 100_000_000
#: A generation lasting longer than a day is refused as absurd.
MAX_LATENCY_MS = 86_400_000.0
MAX_BATCH = 1000

GenerationStatus = Literal["ok", "error", "cancelled"]
Dimension = Annotated[str, Field(min_length=1, max_length=200)]
TokenCount = Annotated[int, Field(ge=0, le=MAX_TOKENS)]
Money = Annotated[float, Field(ge=0, le=1_000_000)]


class GenerationIn(Input):
    """One LLM call as an app (or the server itself) reports it."""

    model_config = request_examples(
        {
            "id": "gen-0001",
            "prompt_name": "greeting",
            "prompt_version": 1,
            "provider": "openai",
            "model": "gpt-4o-mini",
            "input_tokens": 120,
            "output_tokens": 40,
            "latency_ms": 812.5,
            "status": "ok",
            "user_id": "user-42",
            "feature": "onboarding",
            "input": [{"role": "user", "content": "Hi Ada!"}],
            "output": "Hello! How can I help?",
        }
    )

    id: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="the generation's id; sending the same id twice stores it once",
    )
    external_id: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="the app's own id for the call (e.g. the provider's response id); "
        "unique per project, so it also makes a report idempotent",
    )
    trace_id: str | None = Field(default=None, pattern=ID_PATTERN)
    parent_span_id: str | None = Field(default=None, pattern=ID_PATTERN)
    prompt_name: str | None = Field(default=None, pattern=NAME_PATTERN)
    prompt_version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    prompt_label: str | None = Field(default=None, max_length=64)
    provider: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=200)
    input_tokens: TokenCount | None = None
    output_tokens: TokenCount | None = None
    cached_tokens: TokenCount | None = Field(
        default=None, description="part of input_tokens read from the provider's cache"
    )
    reasoning_tokens: TokenCount | None = Field(
        default=None, description="part of output_tokens spent on reasoning"
    )
    input_cost: Money | None = Field(
        default=None, description="cost the app computed itself (else priced here)"
    )
    output_cost: Money | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    latency_ms: float | None = Field(default=None, ge=0, le=MAX_LATENCY_MS)
    ttft_ms: float | None = Field(
        default=None, ge=0, le=MAX_LATENCY_MS, description="time to first token"
    )
    start_time: datetime | None = Field(
        default=None, description="when the call started (UTC if no offset); default: now"
    )
    status: GenerationStatus = "ok"
    error: str | None = Field(default=None, max_length=4000)
    user_id: Dimension | None = None
    session_id: Dimension | None = None
    feature: Dimension | None = None
    agent: Dimension | None = None
    environment: Dimension | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=MAX_TAGS
    )
    metadata: dict[str, Any] = Field(default_factory=dict)
    input: str | list[dict[str, Any]] | None = Field(
        default=None, description="the prompt as sent: text or chat messages"
    )
    output: str | None = None
    experiment_id: int | None = Field(
        default=None,
        ge=1,
        le=2**53,
        description="the online experiment that served the prompt (the SDK sets it)",
    )
    variant: str | None = Field(
        default=None,
        max_length=64,
        description="the experiment's variant that served the prompt (the SDK sets it)",
    )

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any, info: ValidationInfo) -> Any:
        # An item of a batch whose whole body was already checked is not walked again.
        if not (info.context or {}).get("storable_checked"):
            check_storable(data)
        return data


class GenerationBatchInput(Input):
    model_config = request_examples({"generations": [{"id": "gen-0001", "model": "gpt-4o"}]})

    generations: list[Any] = Field(
        max_length=MAX_BATCH,
        description="up to 1,000 GenerationIn objects; each is checked on its own",
    )


class BatchItemResult(BaseModel):
    index: int
    id: str | None
    status: Literal["created", "duplicate", "rejected"]
    error: str | None = None
    #: Why a stored row is flagged (e.g. ``unknown_model_price``, ``estimated_tokens``).
    flags: list[str] = Field(default_factory=list)


class BatchResultPublic(BaseModel):
    created: int
    duplicates: int
    rejected: int
    items: list[BatchItemResult]


FeedbackKind = Literal["thumbs", "score", "nps", "comment"]


class FeedbackInput(Input):
    """End-user feedback tied to a generation, a trace or a session.

    ``thumbs``: value 1 (up) or 0 (down); ``score``: value in ``scale`` (``0-1`` or
    ``1-5``); ``nps``: value 0..10; ``comment``: the comment alone.
    """

    model_config = request_examples(
        {"generation_id": "gen-0001", "kind": "thumbs", "value": 1, "comment": "spot on"}
    )

    generation_id: str | None = Field(default=None, pattern=ID_PATTERN)
    trace_id: str | None = Field(default=None, pattern=ID_PATTERN)
    session_id: Dimension | None = None
    kind: FeedbackKind
    value: float | None = None
    scale: Literal["0-1", "1-5"] | None = None
    comment: str | None = Field(default=None, max_length=4000)
    user_id: Dimension | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class PromptRef(BaseModel):
    name: str
    version: int | None = None
    label: str | None = None


class UsagePublic(BaseModel):
    input_tokens: int | None
    output_tokens: int | None
    cached_tokens: int | None
    reasoning_tokens: int | None
    #: True when the provider reported no counts and they were counted here (tiktoken).
    estimated: bool = False


class CostPublic(BaseModel):
    input: float
    output: float
    total: float
    currency: str
    #: ``reported`` (by the app), ``genai-prices``, ``override`` or ``fake``.
    source: str


class GenerationSummary(BaseModel):
    """A generation without its text (lists)."""

    id: str
    external_id: str | None
    trace_id: str | None
    parent_span_id: str | None
    prompt: PromptRef | None
    provider: str | None
    model: str | None
    usage: UsagePublic
    cost: CostPublic | None = Field(description="null when the model's price is unknown")
    latency_ms: float | None
    ttft_ms: float | None
    start_time: datetime
    status: GenerationStatus
    error: str | None
    user_id: str | None
    session_id: str | None
    feature: str | None
    agent: str | None
    environment: str | None
    tags: list[str]
    flags: list[str]
    source: str
    created_at: datetime


class FeedbackPublic(BaseModel):
    id: int
    generation_id: str | None
    trace_id: str | None
    session_id: str | None
    kind: FeedbackKind
    value: float | None
    scale: str | None
    comment: str | None
    user_id: str | None
    metadata: dict[str, Any]
    source: str
    created_by: str
    created_at: datetime


class GenerationPublic(GenerationSummary):
    """A generation with its text and its feedback."""

    metadata: dict[str, Any]
    input: str | list[dict[str, Any]] | None
    output: str | None
    feedback: list[FeedbackPublic]
    experiment_id: int | None = Field(
        default=None, description="the online experiment that served this generation"
    )
    variant: str | None = Field(default=None, description="its variant in that experiment")


class GenerationPage(BaseModel):
    items: list[GenerationSummary]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class FeedbackPage(BaseModel):
    items: list[FeedbackPublic]
    next_cursor: str | None


class PublicFeedbackInput(FeedbackInput):
    """Feedback posted from an app's web page with a write-only feedback key."""

    model_config = request_examples(
        {"key": "pyfb_example", "generation_id": "gen-0001", "kind": "thumbs", "value": 1}
    )

    key: str = Field(min_length=8, max_length=200, description="the project's feedback key")
    generation_id: str = Field(pattern=ID_PATTERN)
    comment: str | None = Field(default=None, max_length=2000)


class RecomputeCostsInput(Input):
    model_config = request_examples(
        {"since": "2026-11-01T00:00:00Z", "until": "2026-12-01T00:00:00Z", "model": "gpt-4o"}
    )

    since: datetime
    until: datetime
    model: Dimension | None = Field(default=None, description="only this model's generations")


class RecomputedPublic(BaseModel):
    changed: int = Field(description="generations whose cost changed")
