"""Public shapes of the runtime capability: models and prompt execution. Plain pydantic:
no database, no FastAPI."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from promptyard.domain.schemas import (
    LABEL_PATTERN,
    MAX_VERSION,
    NAME_PATTERN,
    Input,
    PromptType,
    request_examples,
)


class ExecuteInput(Input):
    model_config = request_examples(
        {
            "model": "fake/echo",
            "prompt": "greeting",
            "label": "production",
            "variables": {"name": "Ada"},
        }
    )

    model: str = Field(min_length=1, max_length=200, examples=["fake/echo"])
    variables: dict[str, Any] = Field(default_factory=dict)
    prompt: str | None = Field(default=None, pattern=NAME_PATTERN)
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    label: str | None = Field(default=None, pattern=LABEL_PATTERN)
    type: PromptType | None = None
    content: str | list[dict[str, Any]] | None = None
    config: dict[str, Any] | None = None


class ModelPublic(BaseModel):
    id: str = Field(description="what to send as ``model``: <provider>/<model>")
    provider: str
    name: str


class ModelsPublic(BaseModel):
    items: list[ModelPublic]


class UsagePublic(BaseModel):
    input_tokens: int
    output_tokens: int
    total_tokens: int


class ExecutionPublic(BaseModel):
    """One run of a prompt on a model."""

    output: str
    model: str
    provider: str
    usage: UsagePublic
    cost_usd: float | None
    latency_ms: float
    rendered: str | list[dict[str, Any]] = Field(description="what the model was sent")
