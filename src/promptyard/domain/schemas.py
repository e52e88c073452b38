"""Public shapes of the registry: what comes in (``*Create``/``*Update``) and goes out
(``*Public``). Plain pydantic, shared by the services, the HTTP API, the CLI and the SDK.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from promptyard.domain.jsonvalues import (
    MAX_JSON_DEPTH,
    check_stored_json,
    json_depth,
    was_checked,
)

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
LABEL_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
BRANCH_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
ROLE_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NAME_RE = re.compile(NAME_PATTERN)
_LABEL_RE = re.compile(LABEL_PATTERN)

#: Version numbers and offsets are bounded so no input can overflow a database integer.
MAX_VERSION = 2_147_483_647
MAX_OFFSET = 1_000_000_000
MAX_ID = 2**63 - 1
MAX_FOLDER_DEPTH = 10
MAX_TAGS = 50
MAX_METADATA_BYTES = 64_000
MAIN_BRANCH = "main"
#: Names that would collide with routes under /api/v1/prompts/.
RESERVED_NAMES = frozenset({"bulk", "templates", "execute"})
LATEST_LABEL = "latest"

PromptType = Literal["text", "chat"]
Name = Annotated[str, Field(pattern=NAME_PATTERN, description="letters, digits, . _ -")]
LabelName = Annotated[str, Field(pattern=LABEL_PATTERN)]
BranchName = Annotated[str, Field(pattern=BRANCH_PATTERN)]


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid prompt name, or None when it is."""
    if not name:
        return "name must not be empty"
    if "/" in name or "\\" in name:
        return "name must not contain '/' or '\\'; put the prompt in a folder instead"
    if _CONTROL.search(name):
        return "name must not contain control characters"
    if name in RESERVED_NAMES:
        return f"{name!r} is reserved by the API; choose another name"
    if not _NAME_RE.match(name):
        return (
            "name must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return None


def label_problem(label: str) -> str | None:
    if not _LABEL_RE.match(label):
        return (
            f"label {label!r} is invalid: use 1-64 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return None


def normalize_folder(folder: str) -> str:
    """``"/a//b/"`` → ``"a/b"``; raises ValueError with a readable reason."""
    if _CONTROL.search(folder):
        raise ValueError("folder must not contain control characters")
    if "\\" in folder:
        raise ValueError("folder separator is '/', not '\\'")
    parts = [part for part in folder.strip().split("/") if part]
    if len(parts) > MAX_FOLDER_DEPTH:
        raise ValueError(f"folder is deeper than {MAX_FOLDER_DEPTH} levels")
    for part in parts:
        if part in (".", "..") or not _NAME_RE.match(part):
            raise ValueError(
                f"folder segment {part!r} is invalid: use letters, digits, '.', '_' or '-'"
            )
    return "/".join(parts)


def _check_tags(tags: list[str]) -> list[str]:
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if not tag or len(tag) > 64 or _CONTROL.search(tag):
            raise ValueError(f"tag {tag!r} must be 1-64 printable characters")
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def _check_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    import orjson

    check_stored_json(metadata, "metadata")
    if len(orjson.dumps(metadata)) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata is larger than {MAX_METADATA_BYTES} bytes of JSON")
    return metadata


#: JSON numbers are kept within +-2**53: every JSON parser and both databases give them
#: back unchanged (PostgreSQL's jsonb would return 1e20 as an integer no client can read).
MAX_JSON_NUMBER = 2**53


def _unstorable_path(value: Any, path: str = "") -> str | None:
    """Where parsed JSON holds what cannot be stored and read back intact: a NUL character
    or a lone UTF-16 surrogate in text, a NaN/Infinity, or a number beyond +-2**53."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return path or "value"
    if isinstance(value, int | float) and abs(value) > MAX_JSON_NUMBER:
        return path or "value"
    if isinstance(value, str):
        if "\x00" in value:
            return path or "value"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "value"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unstorable_path(key, path) or _unstorable_path(
                item, f"{path}.{key}" if path else str(key)
            )
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _unstorable_path(item, f"{path}[{index}]")
            if found:
                return found
    return None


class NestedTooDeep(ValueError):
    """Raised by :func:`check_storable` for data nested past ``MAX_JSON_DEPTH``."""


def _storable_text(text: str) -> bool:
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _all_storable(value: Any) -> bool:
    """Fast, iterative yes/no of :func:`_unstorable_path` (which then finds the place)."""
    stack = [value]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str:
            if not _storable_text(item):
                return False
        elif kind is bool or item is None:
            continue
        elif kind is int:
            if abs(item) > MAX_JSON_NUMBER:
                return False
        elif kind is float:
            if not math.isfinite(item) or abs(item) > MAX_JSON_NUMBER:
                return False
        elif kind is dict:
            for key in item:
                if type(key) is str and not _storable_text(key):
                    return False
            push(item.values())
        elif kind is list:
            push(item)
        elif _unstorable_path(item) is not None:  # subclasses and other types: the slow way
            return False
    return True


def check_storable(data: Any) -> None:
    """Raise ValueError naming where ``data`` holds something that cannot be stored.

    Also refuses data nested deeper than :data:`MAX_JSON_DEPTH` (before walking it). A
    request body the HTTP edge already checked (``jsonvalues.mark_checked``) is not
    walked again.
    """
    if was_checked(data):
        return
    if json_depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise NestedTooDeep(f"the value is nested more than {MAX_JSON_DEPTH} levels deep")
    if _all_storable(data):
        return
    where = _unstorable_path(data)
    if where:
        raise ValueError(
            f"{where} contains a NUL character, an unpaired surrogate (\\ud800-\\udfff), "
            "NaN/Infinity, or a number beyond +-2**53; none of them can be stored intact"
        )


def _isoformat(value: datetime) -> str:
    return value.isoformat()


#: A time in an answer, written as ``datetime.isoformat()`` (``…+00:00``), exactly as the
#: accounts, review, webhook and audit answers always have: the audit chain hashes that
#: very text. (The prompt answers, older, use pydantic's own form, ``…Z``.)
Timestamp = Annotated[
    datetime,
    PlainSerializer(_isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def request_examples(*examples: dict[str, Any]) -> ConfigDict:
    """A request model's config with working examples for the OpenAPI document.

    The examples name objects a demo or test database holds, so ``/docs`` shows a request
    that succeeds and a schema-driven fuzzer reaches the logic behind a route.
    """
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


class Input(BaseModel):
    """Base of every request body: unknown fields are refused, text must be valid Unicode."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        check_storable(data)
        return data


class ChatMessage(Input):
    role: str = Field(pattern=ROLE_PATTERN)
    content: str
    name: str | None = Field(default=None, max_length=64)


class Placeholder(Input):
    type: Literal["placeholder"]
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


ChatItem = ChatMessage | Placeholder


class ModelConfig(BaseModel):
    """Model settings kept with each version. Unknown keys are free provider options."""

    model_config = ConfigDict(extra="allow")
    model: str | None = Field(default=None, max_length=200)
    provider: str | None = Field(default=None, max_length=64)
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=10_000_000)
    top_p: float | None = Field(default=None, ge=0, le=1)
    stop: list[str] | None = Field(default=None, max_length=16)
    provider_options: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _storable_config(self) -> ModelConfig:
        check_stored_json(self.to_dict(), "config")
        return self

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def parse_content(type_: str, content: Any) -> str | list[dict[str, Any]]:
    """Check content against its prompt type; returns the canonical JSON form."""
    if type_ == "text":
        if not isinstance(content, str):
            raise ValueError("a text prompt's content must be a string")
        return content
    if type_ == "chat":
        if not isinstance(content, list) or not content:
            raise ValueError(
                "a chat prompt's content must be a non-empty list of {role, content} messages"
            )
        items: list[dict[str, Any]] = []
        for index, raw in enumerate(content):
            if not isinstance(raw, dict):
                raise ValueError(f"message {index} must be an object with role and content")
            try:
                if raw.get("type") == "placeholder":
                    items.append(Placeholder.model_validate(raw).model_dump())
                else:
                    items.append(ChatMessage.model_validate(raw).model_dump(exclude_none=True))
            except ValueError as exc:
                raise ValueError(f"message {index}: {first_error(exc)}") from None
        return items
    raise ValueError("type must be 'text' or 'chat'")


def first_error(exc: Exception, *, whole: str | None = None) -> str:
    """The first error of a pydantic ``ValidationError`` as ``where: what`` (``whole``
    names the value itself when the error has no location); else the exception's text."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        loc = ".".join(str(part) for part in first.get("loc", ())) or whole
        return f"{loc}: {first.get('msg')}" if loc else str(first.get("msg"))
    return str(exc)


def content_length(content: str | list[dict[str, Any]]) -> int:
    if isinstance(content, str):
        return len(content)
    return sum(len(str(item.get("content", ""))) for item in content)


class PromptCreate(Input):
    model_config = request_examples(
        {
            "name": "greeting-2",
            "type": "text",
            "content": "Hello {{ name }}, welcome to {{ product }}.",
            "tags": ["onboarding"],
            "commit_message": "first",
        }
    )

    name: str = Field(max_length=128)
    type: PromptType = "text"
    content: str | list[dict[str, Any]]
    config: ModelConfig = Field(default_factory=ModelConfig)
    folder: str = Field(default="", max_length=512)
    description: str = Field(default="", max_length=4000)
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    commit_message: str = Field(default="", max_length=4000)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = name_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("folder")
    @classmethod
    def _folder(cls, value: str) -> str:
        return normalize_folder(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return _check_tags(value)

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _check_metadata(value)

    @model_validator(mode="after")
    def _content(self) -> PromptCreate:
        self.content = parse_content(self.type, self.content)
        return self


class PromptUpdate(Input):
    """A change to a prompt. Content, config or type changes make a new version."""

    model_config = request_examples(
        {"content": "Hi {{ name }}! Welcome to {{ product }}.", "commit_message": "friendlier"}
    )

    type: PromptType | None = None
    content: str | list[dict[str, Any]] | None = None
    config: ModelConfig | None = None
    folder: str | None = Field(default=None, max_length=512)
    description: str | None = Field(default=None, max_length=4000)
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None
    commit_message: str = Field(default="", max_length=4000)
    base_version: int | None = Field(
        default=None,
        ge=1,
        le=MAX_VERSION,
        description="the version this change was based on (or If-Match)",
    )
    branch: BranchName = MAIN_BRANCH

    @field_validator("folder")
    @classmethod
    def _folder(cls, value: str | None) -> str | None:
        return None if value is None else normalize_folder(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_tags(value)

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else _check_metadata(value)


class VariablePublic(BaseModel):
    name: str
    required: bool


class VersionPublic(BaseModel):
    number: int
    branch: str
    type: PromptType
    content: str | list[dict[str, Any]]
    config: dict[str, Any]
    variables: list[VariablePublic]
    references: list[str]
    content_hash: str
    parent: int | None
    merge_parent: int | None
    message: str
    author: str
    created_at: datetime
    labels: list[str]


class PromptPublic(BaseModel):
    id: int
    project: str
    name: str
    folder: str
    type: PromptType
    description: str
    tags: list[str]
    metadata: dict[str, Any]
    latest_version: int
    labels: dict[str, int]
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    deleted_at: datetime | None
    lifecycle: str = "draft"
    version: VersionPublic | None = None


class PromptsPublic(BaseModel):
    items: list[PromptPublic]
    total: int
    limit: int
    offset: int


class VersionsPublic(BaseModel):
    items: list[VersionPublic]
    total: int


class LabelPublic(BaseModel):
    name: str
    version: int
    updated_at: datetime
    updated_by: str


class LabelsPublic(BaseModel):
    items: list[LabelPublic]


class LabelMove(Input):
    model_config = request_examples({"version": 1})

    version: int = Field(ge=1, le=MAX_VERSION)


class LabelEventPublic(BaseModel):
    label: str
    from_version: int | None
    to_version: int | None
    actor: str
    created_at: datetime


class LabelEventsPublic(BaseModel):
    items: list[LabelEventPublic]


class BranchCreate(Input):
    model_config = request_examples({"name": "shorter", "from_version": 1})

    name: BranchName
    from_version: int = Field(ge=1, le=MAX_VERSION)


class BranchPublic(BaseModel):
    name: str
    head: int | None
    base: int | None
    created_at: datetime
    created_by: str
    merged_at: datetime | None


class BranchesPublic(BaseModel):
    items: list[BranchPublic]


class MergeRequest(Input):
    model_config = request_examples({"into": "main", "commit_message": "merge experiment"})

    into: BranchName = MAIN_BRANCH
    commit_message: str = Field(default="", max_length=4000)
    base_version: int | None = Field(default=None, ge=1, le=MAX_VERSION)


class RollbackRequest(Input):
    model_config = request_examples({"version": 1, "commit_message": "back to the first wording"})

    version: int = Field(ge=1, le=MAX_VERSION)
    commit_message: str = Field(default="", max_length=4000)
    base_version: int | None = Field(default=None, ge=1, le=MAX_VERSION)


class RenderRequest(Input):
    model_config = request_examples({"variables": {"name": "Ada"}, "label": "production"})

    variables: dict[str, Any] = Field(default_factory=dict)
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    label: LabelName | None = None


class TemplateInput(Input):
    model_config = request_examples(
        {"type": "text", "content": "Hello {{ name }}", "variables": {"name": "Ada"}}
    )

    type: PromptType = "text"
    content: str | list[dict[str, Any]]
    variables: dict[str, Any] = Field(default_factory=dict)


class BulkAction(Input):
    model_config = request_examples({"action": "tag", "names": ["greeting"], "tags": ["reviewed"]})

    action: Literal["tag", "untag", "move", "label", "delete", "restore"]
    names: list[str] = Field(min_length=1, max_length=1000)
    tags: list[str] | None = None
    folder: str | None = Field(default=None, max_length=512)
    label: LabelName | None = None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_tags(value)

    @field_validator("folder")
    @classmethod
    def _folder(cls, value: str | None) -> str | None:
        return None if value is None else normalize_folder(value)

    @model_validator(mode="after")
    def _needs(self) -> BulkAction:
        if self.action in ("tag", "untag") and not self.tags:
            raise ValueError(f"action '{self.action}' needs a non-empty 'tags' list")
        if self.action == "move" and self.folder is None:
            raise ValueError("action 'move' needs 'folder' (\"\" for the root)")
        if self.action == "label" and not self.label:
            raise ValueError("action 'label' needs 'label'")
        if self.action == "label" and self.label == LATEST_LABEL:
            raise ValueError("'latest' is managed by the server and cannot be set")
        return self


class ProjectCreate(Input):
    model_config = request_examples({"slug": "support", "name": "Support"})

    slug: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1, max_length=200)


class ProjectPublic(BaseModel):
    slug: str
    name: str
    prompt_count: int
    created_at: datetime


class ProjectsPublic(BaseModel):
    items: list[ProjectPublic]


class ListQuery(BaseModel):
    """Filters of the prompt list (all optional)."""

    q: str | None = None
    tags: list[str] = Field(default_factory=list)
    folder: str | None = None
    label: str | None = None
    author: str | None = None
    type: PromptType | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    deleted: Literal["exclude", "include", "only"] = "exclude"
    sort: Literal["name", "-name", "updated_at", "-updated_at", "created_at", "-created_at"] = (
        "-updated_at"
    )
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    @model_validator(mode="after")
    def _storable_text(self) -> ListQuery:
        check_storable(
            {
                "q": self.q,
                "tag": self.tags,
                "folder": self.folder,
                "author": self.author,
                "meta": self.metadata,
            }
        )
        return self
