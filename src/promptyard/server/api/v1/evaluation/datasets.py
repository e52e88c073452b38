"""Datasets (``/api/v1/datasets``): list, create, read a version, versions, edit cases,
import and export files, add cases from stored generations. Every change is a new
version (services/evaluation/datasets.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import MAX_VERSION, NAME_PATTERN
from promptyard.server.deps import CoreDep, ProjectDep, require
from promptyard.services.evaluation import datasets, datasets_io, datasets_sources
from promptyard.services.evaluation.datasets_schemas import (
    CASE_ID_PATTERN,
    CasesAdd,
    CaseUpdate,
    DatasetCreate,
    DatasetImportPublic,
    DatasetPublic,
    DatasetsPublic,
    DatasetVersionsPublic,
    FromGenerations,
)

router = APIRouter(tags=["datasets"])

DatasetRead = Annotated[RequestContext, Depends(require("dataset:read"))]
DatasetWrite = Annotated[RequestContext, Depends(require("dataset:write"))]
DatasetName = Annotated[
    str, Path(pattern=NAME_PATTERN, description="dataset name", examples=["greetings"])
]
CaseId = Annotated[str, Path(pattern=CASE_ID_PATTERN, description="case id", examples=["q1"])]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=MAX_VERSION, description="a version (default: the latest)")
]
FileFormat = Literal["csv", "json", "jsonl"]


def _latest(core: CoreDep, project_id: int, name: str) -> DatasetPublic:
    return datasets.dataset_public(core, project_id=project_id, name=name, limit=100)


@router.get("/datasets")
def list_datasets(core: CoreDep, _ctx: DatasetRead, project_id: ProjectDep) -> DatasetsPublic:
    """The project's datasets with their latest version and its number of cases."""
    return datasets.list_datasets(core, project_id=project_id)


@router.post("/datasets", status_code=201, responses={201: {"description": "the new dataset"}})
def create_dataset(
    body: DatasetCreate, core: CoreDep, ctx: DatasetWrite, project_id: ProjectDep
) -> DatasetPublic:
    """Make a dataset with its first cases as version 1 (409 when the name is taken)."""
    datasets.create_dataset(
        core, ctx, project_id, body.name, body.cases, body.description, body.message
    )
    return _latest(core, project_id, body.name)


@router.get("/datasets/{name}")
def get_dataset(
    name: DatasetName,
    core: CoreDep,
    _ctx: DatasetRead,
    project_id: ProjectDep,
    version: VersionQuery = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DatasetPublic:
    """The dataset at a version (default: the latest) with a page of its cases, in order."""
    return datasets.dataset_public(
        core, project_id=project_id, name=name, version=version, offset=offset, limit=limit
    )


@router.get("/datasets/{name}/versions")
def list_dataset_versions(
    name: DatasetName, core: CoreDep, _ctx: DatasetRead, project_id: ProjectDep
) -> DatasetVersionsPublic:
    """Every version of the dataset, newest first: who made it, why, how many cases."""
    return datasets.list_versions(core, project_id=project_id, name=name)


@router.post(
    "/datasets/{name}/cases",
    status_code=201,
    responses={201: {"description": "the new version, with the cases added at the end"}},
)
def add_cases(
    name: DatasetName, body: CasesAdd, core: CoreDep, ctx: DatasetWrite, project_id: ProjectDep
) -> DatasetPublic:
    """Append cases: a new version."""
    datasets.add_cases(core, ctx, project_id, name, body.cases, body.message)
    return _latest(core, project_id, name)


@router.patch("/datasets/{name}/cases/{case_id}")
def update_case(
    name: DatasetName,
    case_id: CaseId,
    body: CaseUpdate,
    core: CoreDep,
    ctx: DatasetWrite,
    project_id: ProjectDep,
) -> DatasetPublic:
    """Edit a case (its id stays): a new version; older versions keep the old content."""
    datasets.update_case(core, ctx, project_id, name, case_id, body)
    return _latest(core, project_id, name)


@router.delete("/datasets/{name}/cases/{case_id}")
def delete_case(
    name: DatasetName,
    case_id: CaseId,
    core: CoreDep,
    ctx: DatasetWrite,
    project_id: ProjectDep,
) -> DatasetPublic:
    """Remove a case: a new version without it (older versions keep it)."""
    datasets.delete_case(core, ctx, project_id, name, case_id)
    return _latest(core, project_id, name)


_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": "the file itself (its format in ?format=)",
        "content": {
            "text/csv": {"schema": {"type": "string"}, "example": "question,expected\n2+2?,4\n"},
            "application/json": {
                "schema": {"type": "array", "items": {"type": "object"}},
                "example": [{"input": {"question": "2+2?"}, "expected": "4"}],
            },
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/datasets/{name}/import",
    openapi_extra=_IMPORT_BODY,
    responses={
        200: {"description": "the version the import made"},
        400: {"description": "a bad record: the message and details name its row and column"},
    },
)
async def import_dataset(
    name: DatasetName,
    request: Request,
    core: CoreDep,
    ctx: DatasetWrite,
    project_id: ProjectDep,
    format: FileFormat = "csv",
    mode: Literal["append", "replace"] = "append",
    message: Annotated[str, Query(max_length=2000)] = "",
) -> DatasetImportPublic:
    """Import a CSV, JSON or JSON Lines file as one new version (the dataset is made when
    it does not exist). A bad record stops it with 400 naming the row and column, and
    nothing is imported."""
    raw = await request.body()
    return await run_in_threadpool(
        datasets_io.import_file,
        core,
        ctx,
        project_id,
        name,
        format,
        raw,
        mode=mode,
        message=message,
    )


@router.get(
    "/datasets/{name}/export",
    response_class=Response,
    responses={
        200: {
            "description": "the cases as a file",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
def export_dataset(
    name: DatasetName,
    core: CoreDep,
    _ctx: DatasetRead,
    project_id: ProjectDep,
    format: FileFormat = "jsonl",
    version: VersionQuery = None,
) -> Response:
    """The dataset's cases at a version (default: the latest) as CSV, JSON or JSON Lines,
    in the shape import reads."""
    body, media, number = datasets_io.export(core, project_id, name, version, format)
    return Response(
        content=body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}@{number}.{format}"'},
    )


@router.post("/datasets/{name}/from-generations")
def add_from_generations(
    name: DatasetName,
    body: FromGenerations,
    core: CoreDep,
    ctx: DatasetWrite,
    project_id: ProjectDep,
) -> DatasetImportPublic:
    """Add stored generations as cases (by id, or by a filter: a prompt, negative
    feedback, a start time) as one new version; the dataset is made when it does not
    exist. Each case's metadata names its generation; one already in the dataset is
    skipped."""
    return datasets_sources.add_from_generations(core, ctx, project_id, name, body)
