"""Findings and scores of prompts, scans of unsaved content or a project, the rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import LABEL_PATTERN, MAX_VERSION
from promptyard.server.api.v1.params import ProjectSlugPath, PromptName
from promptyard.server.deps import CoreDep, ProjectDep, ReadCtx, require
from promptyard.services.identity.projects import resolve_project
from promptyard.services.quality import embeddings, findings, policy, similarity
from promptyard.services.quality.schemas import (
    ContentScanPublic,
    FindingsPublic,
    NearDuplicatesPublic,
    ProjectReportPublic,
    RulesPublic,
    ScanInput,
    SemanticSearchPublic,
    SemanticStatusPublic,
    SimilarPublic,
    TrendPublic,
)

router = APIRouter(tags=["quality"])

PolicyManage = Annotated[RequestContext, Depends(require("policy:manage"))]


@router.get("/prompts/{name}/findings")
def get_findings(
    name: PromptName,
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    label: Annotated[str | None, Query(pattern=LABEL_PATTERN)] = None,
) -> FindingsPublic:
    """A version's quality score and every quality and security finding (default latest)."""
    found = findings.version_findings(
        core, project_id=project_id, name=name, version=version, label=label
    )
    return FindingsPublic.model_validate(found)


@router.get("/prompts/{name}/quality-trend")
def get_trend(
    name: PromptName, core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep
) -> TrendPublic:
    """The score of each version, oldest first (the newest 200 versions)."""
    return TrendPublic.model_validate(findings.trend(core, project_id=project_id, name=name))


@router.get("/prompts/{name}/similar")
def get_similar(
    name: PromptName,
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    label: Annotated[str | None, Query(pattern=LABEL_PATTERN)] = None,
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.3,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> SimilarPublic:
    """Prompts whose text is most like this version's (word shingles, Jaccard), each with
    a reuse suggestion: the shared part that could become an included prompt."""
    found = similarity.similar(
        core,
        project_id=project_id,
        name=name,
        version=version,
        label=label,
        min_score=min_score,
        limit=limit,
    )
    return SimilarPublic.model_validate(found)


@router.get("/quality/near-duplicates")
def get_near_duplicates(
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    label: Annotated[str | None, Query(pattern=LABEL_PATTERN)] = None,
    threshold: Annotated[float, Query(ge=0.3, le=1)] = 0.7,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 10_000,
) -> NearDuplicatesPublic:
    """Near-duplicate pairs among the project's prompts at ``label`` (default latest) and
    the groups they form, with a reuse suggestion per pair."""
    report = similarity.near_duplicates(
        core, project_id=project_id, label=label, threshold=threshold, limit=limit
    )
    return NearDuplicatesPublic.model_validate(report)


@router.get("/semantic-search")
def semantic_search(
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="what to look for")],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> SemanticSearchPublic:
    """Prompts whose latest version is closest in meaning to ``q`` (needs the
    ``promptyard[semantic]`` extra: ``409 semantic_unavailable`` without it)."""
    found = embeddings.search(core, project_id=project_id, query=q, limit=limit)
    return SemanticSearchPublic.model_validate(found)


@router.get("/semantic-search/status")
def semantic_status(core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep) -> SemanticStatusPublic:
    """Whether semantic search is available here, and how much of the project is indexed."""
    return SemanticStatusPublic.model_validate(embeddings.status(core, project_id=project_id))


@router.post("/scan")
def scan(
    body: ScanInput, core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep
) -> ContentScanPublic | ProjectReportPublic:
    """Scan unsaved content (``content`` given: lint as you type) or the whole project
    (``content`` left out: every prompt at ``label``, default latest, at most ``limit``)."""
    if body.content is not None:
        found = findings.scan_content(
            core, type_=body.type, content=body.content, config=body.config, name=body.name
        )
        return ContentScanPublic.model_validate(found)
    report = findings.scan_project(core, project_id=project_id, label=body.label, limit=body.limit)
    return ProjectReportPublic.model_validate(report)


@router.get("/quality/rules")
def list_rules(core: CoreDep, _ctx: ReadCtx) -> RulesPublic:
    """Every registered quality and security rule, and the score's weights."""
    return RulesPublic.model_validate(findings.list_rules(core))


@router.get("/projects/{slug}/quality-policy")
def get_quality_policy(slug: ProjectSlugPath, core: CoreDep, ctx: ReadCtx) -> policy.QualityPolicy:
    """The project's quality policy (defaults when never set)."""
    project_id = resolve_project(core, ctx.actor, slug)
    return policy.get_policy(core, project_id=project_id)


@router.put("/projects/{slug}/quality-policy")
def put_quality_policy(
    slug: ProjectSlugPath, body: policy.QualityPolicyUpdate, core: CoreDep, ctx: PolicyManage
) -> policy.QualityPolicy:
    """Change the quality policy (``block_secrets_on_save``); fields left out keep their value."""
    project_id = resolve_project(core, ctx.actor, slug)
    return policy.set_policy(core, ctx=ctx, project_id=project_id, data=body)
