"""Public shapes of the runtime capability: models and prompt execution. Plain pydantic:
no database, no FastAPI."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from promptyard.domain.schemas import (
    LABEL_PATTERN,
    MAX_TAGS,
    MAX_VERSION,
    NAME_PATTERN,
    Input,
    PromptType,
    request_examples,
)
from promptyard.services.telemetry.schemas import ID_PATTERN, CostPublic, PromptRef

ModelRef = Annotated[str, Field(min_length=3, max_length=300, pattern=r"^[^/\s]+/\S+$")]


class RunSpec(Input):
    """One run of a request that lists its runs (``runs``): a model, and either a version
    or label of the request's ``prompt``, or unsaved ``content`` (an edited variant)."""

    model: ModelRef = Field(examples=["fake/echo"], description="<connection>/<model>")
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    label: str | None = Field(default=None, pattern=LABEL_PATTERN)
    type: PromptType | None = None
    content: str | list[dict[str, Any]] | None = Field(
        default=None, description="unsaved content instead of a stored version"
    )
    config: dict[str, Any] | None = Field(
        default=None, description="parameters over the version's own (temperature...)"
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

    model: ModelRef | None = Field(
        default=None,
        examples=["fake/echo"],
        description="<connection>/<model>: a provider connection of the workspace and one "
        "of its models (fake/echo always works)",
    )
    models: list[ModelRef] | None = Field(
        default=None, min_length=1, max_length=8, description="several models side by side"
    )
    runs: list[RunSpec] | None = Field(
        default=None,
        min_length=1,
        max_length=8,
        description="each run on its own (model, version or label or unsaved content): "
        "instead of model/models/versions, e.g. the playground's columns",
    )
    variables: dict[str, Any] = Field(default_factory=dict)
    prompt: str | None = Field(default=None, pattern=NAME_PATTERN)
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    versions: list[Annotated[int, Field(ge=1, le=MAX_VERSION)]] | None = Field(
        default=None, min_length=1, max_length=8, description="several versions side by side"
    )
    label: str | None = Field(default=None, pattern=LABEL_PATTERN)
    type: PromptType | None = None
    content: str | list[dict[str, Any]] | None = None
    config: dict[str, Any] | None = Field(
        default=None, description="parameters over the version's own (temperature, max_tokens...)"
    )
    stream: bool = Field(default=False, description="answer server-sent events")
    tools: list[dict[str, Any]] | None = Field(
        default=None, max_length=128, description="tool definitions (OpenAI's shape)"
    )
    tool_choice: Any = None
    response_format: dict[str, Any] | None = Field(
        default=None, description="structured output, e.g. {'type': 'json_object'}"
    )
    trace_id: str | None = Field(default=None, pattern=ID_PATTERN)
    user_id: str | None = Field(default=None, min_length=1, max_length=200)
    session_id: str | None = Field(default=None, min_length=1, max_length=200)
    feature: str | None = Field(default=None, min_length=1, max_length=200)
    tags: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=MAX_TAGS
    )


class ModelPublic(BaseModel):
    id: str = Field(description="what to send as ``model``: <provider>/<model>")
    provider: str
    name: str


class ModelsPublic(BaseModel):
    items: list[ModelPublic]


class RunUsagePublic(BaseModel):
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None


class ToolCallPublic(BaseModel):
    id: str
    name: str
    arguments: str = Field(description="JSON text, as the model wrote it")


class RunErrorPublic(BaseModel):
    code: str
    message: str


class ExecutionPublic(BaseModel):
    """One run of a prompt on a model."""

    index: int = Field(description="the run's place in the request (models within versions)")
    generation_id: str = Field(description="the stored generation: GET /generations/{id}")
    model: str
    provider: str = Field(description="the connection's provider kind")
    connection: str
    prompt: PromptRef | None
    output: str
    finish_reason: str | None
    tool_calls: list[ToolCallPublic]
    usage: RunUsagePublic
    cost: CostPublic | None = Field(description="null when the model's price is unknown")
    cost_usd: float | None
    latency_ms: float
    ttft_ms: float | None = Field(description="time to the first token (streams)")
    rendered: str | list[dict[str, Any]] = Field(description="what the model was sent")
    error: RunErrorPublic | None = Field(
        default=None, description="set when this run failed (several runs only)"
    )


class ExecutionsPublic(BaseModel):
    """Several runs (``models`` or ``versions``), in request order."""

    runs: list[ExecutionPublic]
