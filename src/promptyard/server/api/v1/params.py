"""Path and query parameters shared by the routers: one pattern, one example each.

The examples name the objects a fresh demo or test database holds (prompt ``greeting``,
label ``production``, branch ``experiment``, project ``default``, id 1), so the OpenAPI
document shows a request that works, and a schema-driven fuzzer reaches the logic
behind a route instead of its 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from promptyard.domain import DEFAULT_SLUG
from promptyard.domain.schemas import (
    BRANCH_PATTERN,
    LABEL_PATTERN,
    MAX_ID,
    MAX_VERSION,
    NAME_PATTERN,
    SLUG_PATTERN,
)

PromptName = Annotated[
    str, Path(pattern=NAME_PATTERN, description="prompt name", examples=["greeting"])
]
LabelName = Annotated[
    str, Path(pattern=LABEL_PATTERN, description="label name", examples=["production"])
]
BranchName = Annotated[
    str, Path(pattern=BRANCH_PATTERN, description="branch name", examples=["experiment"])
]
VersionNumber = Annotated[
    int, Path(ge=1, le=MAX_VERSION, description="version number", examples=[1])
]
ProjectSlugPath = Annotated[
    str, Path(pattern=SLUG_PATTERN, description="project slug", examples=[DEFAULT_SLUG])
]
#: ``?project=`` of the routes inside a project (through ``deps.ProjectDep``), whose
#: default is :data:`~promptyard.domain.DEFAULT_SLUG`.
ProjectSlugQuery = Annotated[
    str,
    Query(
        alias="project", pattern=SLUG_PATTERN, description="project slug", examples=[DEFAULT_SLUG]
    ),
]
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="numeric id", examples=[1])]
