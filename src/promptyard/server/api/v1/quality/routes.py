"""Findings and scores of prompts, scans of unsaved content or a project, the rules."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import LABEL_PATTERN, MAX_VERSION
from promptyard.server.api.v1.params import ProjectSlugPath, PromptName
from promptyard.server.deps import CoreDep, ExecuteCtx, ProjectDep, ReadCtx, require
from promptyard.services.identity.projects import resolve_project
from promptyard.services.quality import (
    clusters,
    correlation,
    embedding_sources,
    embeddings,
    findings,
    policy,
    review,
    similarity,
)
from promptyard.services.quality.review_schemas import ReviewInput, ReviewPublic
from promptyard.services.quality.schemas import (
    ClustersPublic,
    ContentScanPublic,
    EmbeddingSourceInput,
    EmbeddingSourcePublic,
    FindingsPublic,
    NearDuplicatesPublic,
    ProjectReportPublic,
    RulesPublic,
    ScanInput,
    ScoreCorrelationPublic,
    SemanticSearchPublic,
    SemanticStatusPublic,
    SimilarPublic,
    TrendPublic,
)

router = APIRouter(tags=["quality"])

PolicyManage = Annotated[RequestContext, Depends(require("policy:manage"))]
ProviderRead = Annotated[RequestContext, Depends(require("provider:read"))]
ProviderManage = Annotated[RequestContext, Depends(require("provider:manage"))]


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


@router.post(
    "/prompts/{name}/review",
    responses={502: {"description": "the provider failed, or its answer held no proposal"}},
)
async def post_review(
    name: PromptName, body: ReviewInput, core: CoreDep, ctx: ExecuteCtx, project_id: ProjectDep
) -> ReviewPublic:
    """Ask a model of a provider connection for a better version of this prompt, with
    the reasons: the estimated cost first (``dry_run`` stops there), then the proposal as
    a diff and its score. Nothing is saved: accepting is an ordinary update. A version
    holding a secret is refused (``409 secret_in_prompt``)."""
    plan = await run_in_threadpool(
        review.plan,
        core,
        workspace_id=ctx.actor.workspace_id,
        project_id=project_id,
        name=name,
        data=body,
    )
    if body.dry_run:
        return review.estimate_only(plan)
    return await review.ask(core, project_id=project_id, plan=plan)


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


@router.get("/semantic-search/source")
def get_embedding_source(core: CoreDep, ctx: ProviderRead) -> EmbeddingSourcePublic:
    """Where the workspace's embeddings come from: the local model, or a provider
    connection's embeddings endpoint."""
    return embedding_sources.get_source(core, workspace_id=ctx.actor.workspace_id)


@router.put("/semantic-search/source")
def put_embedding_source(
    body: EmbeddingSourceInput, core: CoreDep, ctx: ProviderManage
) -> EmbeddingSourcePublic:
    """Embed the workspace's prompts with a provider connection's OpenAI-compatible
    ``/embeddings`` endpoint and model instead of the local model."""
    return embedding_sources.set_source(
        core, ctx=ctx, workspace_id=ctx.actor.workspace_id, data=body
    )


@router.delete("/semantic-search/source")
def delete_embedding_source(core: CoreDep, ctx: ProviderManage) -> EmbeddingSourcePublic:
    """Go back to the local model of the ``promptyard[semantic]`` extra."""
    return embedding_sources.reset_source(core, ctx=ctx, workspace_id=ctx.actor.workspace_id)


@router.get("/quality/clusters")
def get_clusters(
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    k: Annotated[int | None, Query(ge=2, le=clusters.MAX_K, description="clusters")] = None,
    method: Literal["auto", "embeddings", "lexical"] = "auto",
) -> ClustersPublic:
    """The project's prompts grouped by meaning (k-means on stored embeddings) or, without
    embeddings, by shared wording (MinHash), each cluster labelled by its distinctive words."""
    found = clusters.clusters(core, project_id=project_id, k=k, method=method)
    return ClustersPublic.model_validate(found)


@router.get("/quality/score-correlation")
def get_score_correlation(
    core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep
) -> ScoreCorrelationPublic:
    """Spearman's rho between versions' quality scores and their evaluation outcomes,
    with its interval and a plain statement of how much it shows."""
    found = correlation.score_correlation(core, project_id=project_id)
    return ScoreCorrelationPublic.model_validate(found)


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
