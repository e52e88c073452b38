"""Public shapes of datasets: what comes in (``*Create``/``*Update``) and goes out
(``*Public``). Plain pydantic: no database, no FastAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from promptyard.domain.schemas import NAME_PATTERN, Input, request_examples

#: A case id: stable across the versions of its dataset.
CASE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
#: One case's input, expected output and metadata together, as JSON, at most this long.
MAX_CASE_BYTES = 256_000
#: The cases of one version at most.
MAX_CASES = 100_000
#: The cases one request may add (a bigger import goes in several).
MAX_CASES_PER_REQUEST = 10_000
#: An uploaded file (CSV, JSON, JSON Lines) at most this many bytes.
MAX_IMPORT_BYTES = 20_000_000
#: An expected output at most this many characters.
MAX_EXPECTED_CHARS = 100_000

DatasetName = Annotated[str, Field(pattern=NAME_PATTERN, description="letters, digits, . _ -")]
CaseId = Annotated[str, Field(pattern=CASE_ID_PATTERN)]
Format = Literal["csv", "json", "jsonl"]


class CaseIn(Input):
    """A case to add. ``id`` is optional: one is made up when it is left out."""

    id: CaseId | None = Field(default=None, description="stable across versions")
    input: dict[str, Any] = Field(
        default_factory=dict, description="the prompt's variables (a JSON object)"
    )
    expected: str | None = Field(
        default=None, max_length=MAX_EXPECTED_CHARS, description="the expected output"
    )
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("expected", mode="before")
    @classmethod
    def _expected_text(cls, value: Any) -> Any:
        # Numbers and booleans are written as text; objects are refused by the type.
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return value


class CaseUpdate(Input):
    """A case's new content; fields left out keep their value."""

    model_config = request_examples({"expected": "Hello, Ada!"})

    input: dict[str, Any] | None = None
    expected: str | None = Field(default=None, max_length=MAX_EXPECTED_CHARS)
    metadata: dict[str, Any] | None = None
    clear_expected: bool = Field(default=False, description="remove the expected output")
    message: str = Field(default="", max_length=2000, description="why (the version's note)")


class DatasetCreate(Input):
    model_config = request_examples(
        {
            "name": "greetings",
            "description": "names to greet",
            "cases": [{"id": "q1", "input": {"name": "Ada"}, "expected": "Hello, Ada!"}],
        }
    )

    name: DatasetName
    description: str = Field(default="", max_length=4000)
    cases: list[CaseIn] = Field(default_factory=list, max_length=MAX_CASES_PER_REQUEST)
    message: str = Field(default="", max_length=2000)


class CasesAdd(Input):
    model_config = request_examples({"cases": [{"input": {"name": "Grace"}}]})

    cases: list[CaseIn] = Field(min_length=1, max_length=MAX_CASES_PER_REQUEST)
    message: str = Field(default="", max_length=2000)


class FromGenerations(Input):
    """Cases from stored generations: ``generation_ids``, or a filter."""

    model_config = request_examples(
        {"generation_ids": ["gen-0001"]}, {"negative_feedback": True, "limit": 20}
    )

    generation_ids: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = Field(
        default=None, max_length=1000
    )
    prompt: str | None = Field(default=None, pattern=NAME_PATTERN)
    negative_feedback: bool = Field(
        default=False,
        description="only generations with negative feedback (thumbs down, NPS <= 6, "
        "a score below the middle of its scale)",
    )
    since: datetime | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    output_as_expected: bool = Field(
        default=False, description="take the generation's output as the expected output"
    )
    message: str = Field(default="", max_length=2000)


class CasePublic(BaseModel):
    id: str
    input: dict[str, Any]
    expected: str | None
    metadata: dict[str, Any]
    #: The version that introduced this revision of the case.
    since_version: int
    source_generation_id: str | None = None


class DatasetVersionPublic(BaseModel):
    version: int
    message: str
    case_count: int
    created_at: datetime
    created_by: str


class DatasetVersionsPublic(BaseModel):
    items: list[DatasetVersionPublic]


class DatasetSummary(BaseModel):
    id: int
    name: str
    description: str
    latest_version: int
    case_count: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class DatasetsPublic(BaseModel):
    items: list[DatasetSummary]


class DatasetPublic(DatasetSummary):
    """A dataset at one version (``version``) with a page of its cases."""

    version: int
    version_case_count: int
    cases: list[CasePublic]
    offset: int
    limit: int


class DatasetImportPublic(BaseModel):
    dataset: str
    version: int
    added: int
    replaced: int
    case_count: int
