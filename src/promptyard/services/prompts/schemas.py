"""Answers of the prompts capability beyond the registry's own entities: diffs, renders,
template checks, folders, tags, bulk actions and bundle imports.

The registry's entities (``PromptCreate``/``PromptPublic``, versions, labels, branches,
projects) are in :mod:`promptyard.domain.schemas`, shared with the SDK. Plain pydantic:
no database, no FastAPI.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from promptyard.domain.schemas import Input, PromptType, VariablePublic, request_examples

Content = str | list[dict[str, Any]]

# -- templates ------------------------------------------------------------------------


class ValidateInput(Input):
    model_config = request_examples({"type": "text", "content": "Hello {{ name }}"})

    type: PromptType = "text"
    content: Content


class TemplateProblemPublic(BaseModel):
    field: str = Field(description="content, or the message it is in: content[0].content")
    line: int | None
    column: int | None
    message: str


class TemplateCheckPublic(BaseModel):
    """What saving the content would find; problems are data here, not errors."""

    valid: bool
    variables: list[VariablePublic]
    references: list[str]
    errors: list[TemplateProblemPublic]


class RenderedTemplatePublic(BaseModel):
    type: PromptType
    rendered: Content = Field(description="the text, or the chat's messages")


class RenderedPromptPublic(RenderedTemplatePublic):
    version: int = Field(description="the version rendered")


# -- diff -----------------------------------------------------------------------------


class SpanPublic(BaseModel):
    op: Literal["equal", "insert", "delete"]
    text: str


class DiffStatsPublic(BaseModel):
    insertions: int = Field(description="words inserted")
    deletions: int = Field(description="words deleted")


class MessageDiffPublic(BaseModel):
    """Two chat messages aligned: the same (``equal``), ``changed``, or one alone."""

    op: Literal["equal", "changed", "insert", "delete"]
    old_index: int | None
    new_index: int | None
    role_old: str | None
    role_new: str | None
    kind_old: Literal["message", "placeholder"] | None
    kind_new: Literal["message", "placeholder"] | None
    name_old: str | None
    name_new: str | None
    spans: list[SpanPublic]


class ConfigChangePublic(BaseModel):
    path: str = Field(description="dotted path of the changed setting")
    op: Literal["added", "removed", "changed"]
    old: Any
    new: Any


class DiffPublic(BaseModel):
    """Everything the console shows when comparing two versions."""

    model_config = ConfigDict(populate_by_name=True)

    from_: int = Field(alias="from")
    to: int
    type_changed: bool
    spans: list[SpanPublic]
    unified: str
    messages: list[MessageDiffPublic] | None = Field(
        description="per message, when both versions are chat prompts; else null"
    )
    config: list[ConfigChangePublic]
    stats: DiffStatsPublic


# -- folders, tags, bulk, import ------------------------------------------------------


class FolderPublic(BaseModel):
    path: str
    count: int = Field(description="prompts in it (not in its subfolders)")


class FoldersPublic(BaseModel):
    items: list[FolderPublic]


class TagPublic(BaseModel):
    name: str
    count: int


class TagsPublic(BaseModel):
    items: list[TagPublic]


class BulkPublic(BaseModel):
    updated: int = Field(description="how many prompts changed")


class ImportPublic(BaseModel):
    created: list[str] = Field(description="names of the prompts imported")
    skipped: list[str] = Field(description="names already there (with on_conflict=skip)")
