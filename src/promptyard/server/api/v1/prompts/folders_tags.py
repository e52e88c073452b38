"""Folders and tags of a project."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from promptyard.server.deps import CoreDep, ProjectDep, ReadCtx
from promptyard.services.prompts import search

router = APIRouter(tags=["prompts"])


@router.get("/folders")
def folders(core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep) -> dict[str, Any]:
    return {"items": search.list_folders(core, project_id=project_id)}


@router.get("/tags")
def tags(core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep) -> dict[str, Any]:
    return {"items": search.list_tags(core, project_id=project_id)}
