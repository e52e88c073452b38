"""Folders and tags of a project."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from promptyard.server.deps import CoreDep, ProjectDep, ReadCtx
from promptyard.services import registry

router = APIRouter(tags=["prompts"])


@router.get("/folders")
def folders(core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep) -> dict[str, Any]:
    return {"items": registry.list_folders(core, project_id=project_id)}


@router.get("/tags")
def tags(core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep) -> dict[str, Any]:
    return {"items": registry.list_tags(core, project_id=project_id)}
