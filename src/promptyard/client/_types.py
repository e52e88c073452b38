"""Shapes of the API's answers, as typed dicts: plain dicts at run time.

They follow docs/api.md; the server may add keys, which are passed through untouched.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, NotRequired, TypedDict, TypeVar

PromptType = Literal["text", "chat"]
#: Text content is a template string; chat content is a list of messages.
Content = str | list[dict[str, Any]]


class Variable(TypedDict):
    name: str
    required: bool


class Version(TypedDict):
    number: int
    branch: str
    type: PromptType
    content: Content
    config: dict[str, Any]
    variables: list[Variable]
    references: list[str]
    content_hash: str
    parent: int | None
    merge_parent: int | None
    message: str
    author: str
    created_at: str
    labels: list[str]


class Prompt(TypedDict):
    id: int
    project: str
    name: str
    folder: str
    lifecycle: str
    type: PromptType
    description: str
    tags: list[str]
    metadata: dict[str, Any]
    latest_version: int
    labels: dict[str, int]
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    deleted_at: str | None
    #: Present on single-prompt answers, absent (or null) in lists.
    version: NotRequired[Version | None]


class PromptPage(TypedDict):
    items: list[Prompt]
    total: int
    limit: int
    offset: int


class VersionPage(TypedDict):
    items: list[Version]
    total: int


class Label(TypedDict):
    name: str
    version: int
    updated_at: str
    updated_by: str


class LabelEvent(TypedDict):
    label: str
    from_version: int | None
    to_version: int | None
    actor: str
    created_at: str


class Branch(TypedDict):
    name: str
    head: int | None
    base: int | None
    created_at: str
    created_by: str
    merged_at: str | None


class ConfigChange(TypedDict):
    path: str
    op: str
    old: Any
    new: Any


Diff = TypedDict(
    "Diff",
    {
        "from": int,
        "to": int,
        "type_changed": bool,
        "spans": list[dict[str, Any]] | None,
        "unified": str,
        "messages": list[dict[str, Any]] | None,
        "config": list[ConfigChange],
        "stats": dict[str, int],
    },
)


class Rendered(TypedDict):
    type: PromptType
    rendered: Content
    version: NotRequired[int]


class Validation(TypedDict):
    valid: bool
    variables: list[Variable]
    references: list[str]
    errors: list[dict[str, Any]]


class Usage(TypedDict):
    input_tokens: int
    output_tokens: int
    total_tokens: int


class Execution(TypedDict):
    output: str
    model: str
    provider: str
    usage: Usage
    cost_usd: float | None
    latency_ms: float
    rendered: Content


class Project(TypedDict):
    slug: str
    name: str
    prompt_count: int
    created_at: str


class ImportResult(TypedDict):
    created: list[str]
    skipped: list[str]


class Folder(TypedDict):
    path: str
    count: int


class Tag(TypedDict):
    name: str
    count: int


T = TypeVar("T")


class Items(TypedDict, Generic[T]):
    """A list answer: ``{"items": [...]}``."""

    items: list[T]
