"""Request and answer of the LLM review of a prompt version. Plain pydantic."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from promptyard.domain.schemas import LABEL_PATTERN, MAX_VERSION, Input, request_examples
from promptyard.services.prompts.schemas import DiffPublic
from promptyard.services.telemetry.schemas import CostPublic


class ReviewInput(Input):
    """Ask a model of a provider connection to improve one version of a prompt."""

    model_config = request_examples(
        {"connection": "openai-prod", "model": "gpt-4o-mini", "version": 3, "dry_run": True},
        {"connection": "fake", "model": "json"},
    )

    connection: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[^/\s]+$",
        description="a provider connection of the workspace (fake works everywhere)",
    )
    model: str = Field(min_length=1, max_length=200, pattern=r"^\S+$")
    version: int | None = Field(None, ge=1, le=MAX_VERSION, description="default: latest")
    label: str | None = Field(None, pattern=LABEL_PATTERN)
    dry_run: bool = Field(False, description="answer the cost estimate only; call nothing")
    instructions: str = Field(
        "", max_length=2000, description="what to focus on (added to the reviewer's brief)"
    )


class ReviewEstimatePublic(BaseModel):
    """What the call will cost at most: token counts times the model's price, priced as
    executions are (the workspace's price overrides first, then the bundled table)."""

    input_tokens: int
    output_tokens: int = Field(description="the answer's bound (max_tokens sent)")
    output_basis: Literal["max_tokens"] = "max_tokens"
    cost: float | None = Field(description="null when the model's price is unknown")
    currency: str | None
    price_source: str | None
    price_known: bool


class SuggestionPublic(BaseModel):
    title: str
    rationale: str


class ProposedPublic(BaseModel):
    type: Literal["text", "chat"]
    content: str | list[dict[str, Any]]
    score: int = Field(ge=0, le=100, description="the proposal's quality score")


class ReviewUsagePublic(BaseModel):
    input_tokens: int | None
    output_tokens: int | None


class ReviewPublic(BaseModel):
    """A dry run (``estimate`` only) or the model's proposal: a new version to accept
    (saved through the normal update, ``base_version`` = ``version``) or reject."""

    prompt: str
    version: int = Field(description="the version reviewed")
    latest_version: int
    model: str = Field(description="<connection>/<model>")
    dry_run: bool
    estimate: ReviewEstimatePublic
    score: int = Field(ge=0, le=100, description="the reviewed version's quality score")
    generation_id: str | None = Field(None, description="the recorded call (GET /generations/{id})")
    summary: str | None = None
    suggestions: list[SuggestionPublic] = Field(default_factory=list)
    proposed: ProposedPublic | None = None
    diff: DiffPublic | None = Field(None, description="reviewed version -> proposal")
    usage: ReviewUsagePublic | None = None
    cost: CostPublic | None = Field(None, description="the recorded generation's real cost")
