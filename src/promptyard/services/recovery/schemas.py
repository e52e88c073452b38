"""Request and answer of ``POST /projects/{slug}/point-in-time-restore``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from promptyard.domain.schemas import NAME_PATTERN, Input


class PointInTimeRestoreRequest(Input):
    at: datetime = Field(
        description="Bring the prompts back to their state at this time (ISO 8601; UTC "
        "when no offset is given)."
    )
    prompt: str | None = Field(
        default=None,
        max_length=128,
        pattern=NAME_PATTERN,
        description="Only this prompt (default: every prompt of the project).",
    )
    dry_run: bool = Field(default=True, description="Only list what would change.")


class RecoveryChangePublic(BaseModel):
    project: str
    prompt: str
    kind: Literal["undelete", "content", "label", "delete"]
    label: str | None
    current: int | None = Field(description="content: the head now; label: its version now")
    target: int | None = Field(
        description="content: version rolled back to; label: its version then"
    )
    description: str
    applied: bool
    error: str | None = Field(description="Why a check refused this change (the others went on).")


class RecoveryReportPublic(BaseModel):
    at: datetime
    dry_run: bool
    projects: list[str]
    prompts_checked: int
    changes: list[RecoveryChangePublic]
    applied: int
    failed: int
