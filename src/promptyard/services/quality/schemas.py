"""Requests and answers of the quality capability. Plain pydantic: no database, no FastAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from promptyard.domain.schemas import Input, LabelName, PromptType, request_examples

Severity = Literal["info", "low", "medium", "high"]
Content = str | list[dict[str, Any]]


class FindingPublic(BaseModel):
    """One finding, located in the template source."""

    rule: str = Field(description="the rule's id (docs/quality.md)")
    category: Literal["quality", "security"] | str
    severity: Severity
    title: str
    detail: str = Field(description="what was found; a secret is never repeated in full")
    suggestion: str
    field: str = Field(description="content, or the message it is in: content[0].content")
    message_index: int | None = Field(description="the chat message (None for a text prompt)")
    role: str | None
    line: int = Field(description="1-based, in the message's template source")
    column: int = Field(description="1-based")
    end_line: int
    end_column: int


class DeductionPublic(BaseModel):
    rule: str
    category: str
    count: int
    deduction: int = Field(description="points this rule took off the score")


class TokensPublic(BaseModel):
    count: int
    exact: bool = Field(description="false: estimated at 4 characters a token")


class FindingsPublic(BaseModel):
    """A version's (or unsaved content's) score and every quality and security finding."""

    prompt: str | None = None
    version: int | None = None
    score: int = Field(ge=0, le=100)
    deductions: list[DeductionPublic]
    by_category: dict[str, int] = Field(description="points taken off per category")
    counts: dict[str, int] = Field(description="findings per severity")
    findings: list[FindingPublic]
    failed_rules: list[str] = Field(description="rules that raised an error (plugin bugs)")
    tokens: TokensPublic


class TrendPointPublic(BaseModel):
    version: int
    branch: str
    score: int
    counts: dict[str, int]


class TrendPublic(BaseModel):
    prompt: str
    items: list[TrendPointPublic]


class PromptScorePublic(BaseModel):
    name: str
    version: int
    score: int
    counts: dict[str, int]
    top_rules: list[str]


class RuleCountPublic(BaseModel):
    rule: str
    category: str
    severity: Severity
    findings: int
    prompts: int


class ProjectReportPublic(BaseModel):
    """Scores and findings of a project's prompts (each at ``label``, default latest)."""

    scope: Literal["project"] = "project"
    label: str
    prompts: int
    truncated: bool = Field(description="more prompts than the scan's bound were left out")
    mean_score: float | None
    median_score: float | None
    distribution: dict[str, int] = Field(description="prompts per score band: 0-9 ... 90-100")
    counts: dict[str, int] = Field(description="findings per severity, all prompts")
    worst: list[PromptScorePublic]
    with_high_findings: list[PromptScorePublic]
    common_findings: list[RuleCountPublic]
    items: list[PromptScorePublic] = Field(description="every prompt scanned, by name")


class ContentScanPublic(FindingsPublic):
    scope: Literal["content"] = "content"


class ScanInput(Input):
    """Unsaved content (``content`` given) or the whole project (``content`` left out)."""

    model_config = request_examples(
        {"type": "text", "content": "Summarise {{ ticket }} in 3 bullet points."},
        {"label": "production"},
    )

    type: PromptType = "text"
    content: Content | None = None
    config: dict[str, Any] = Field(default_factory=dict, description="model config (model ...)")
    name: str = Field("unsaved", max_length=128)
    label: LabelName | None = Field(None, description="project scan: the label to scan")
    limit: int = Field(10_000, ge=1, le=10_000, description="project scan: prompts at most")


class RulePublic(BaseModel):
    id: str
    category: str
    severity: Severity
    title: str
    rationale: str
    suggestion: str
    source: str


class RulesPublic(BaseModel):
    items: list[RulePublic]
    weights: dict[str, int] = Field(description="points a finding takes off, by severity")
    max_hits_per_rule: int


class SharedPartPublic(BaseModel):
    """The longest run of words two prompts share: the part that could be included."""

    words: int
    text: str = Field(description="the shared part, as the first prompt writes it")
    truncated: bool
    line: int = Field(description="where it starts in the first prompt (1-based)")
    include: str = Field(description="the include tag that would replace it")
    message: str


class SimilarItemPublic(BaseModel):
    name: str
    version: int
    score: float = Field(ge=0, le=1, description="Jaccard index of word 3-gram sets")
    suggestion: SharedPartPublic | None = Field(
        description="a reuse suggestion, when they share a run of at least 12 words"
    )


class SimilarPublic(BaseModel):
    """Prompts lexically similar to one version (every live prompt at latest compared)."""

    prompt: str
    version: int
    method: Literal["lexical"]
    min_score: float
    compared: int = Field(description="prompts compared")
    items: list[SimilarItemPublic]


class VersionRefPublic(BaseModel):
    name: str
    version: int


class DuplicatePairPublic(BaseModel):
    a: VersionRefPublic
    b: VersionRefPublic
    score: float = Field(ge=0, le=1)
    suggestion: SharedPartPublic | None


class NearDuplicatesPublic(BaseModel):
    """Near-duplicate pairs of a project's prompts (MinHash LSH, exact Jaccard checked)."""

    label: str
    method: Literal["minhash-lsh"]
    threshold: float
    prompts: int
    truncated: bool
    pairs_found: int
    pairs: list[DuplicatePairPublic] = Field(description="most similar first, at most 500")
    groups: list[list[str]] = Field(description="prompts linked by near-duplicate pairs")


class SemanticHitPublic(BaseModel):
    name: str
    version: int = Field(description="the version embedded (the prompt's latest)")
    score: float = Field(description="cosine similarity to the query, -1 to 1")


class SemanticSearchPublic(BaseModel):
    """Prompts by meaning (embeddings of each prompt's latest version, exact search)."""

    query: str
    model: str
    indexed: int = Field(description="prompts of the project with an embedding so far")
    pending: int = Field(description="prompts still waiting for the background job")
    items: list[SemanticHitPublic]


class SemanticStatusPublic(BaseModel):
    available: bool
    reason: str = Field(description="what is missing when not available")
    model: str | None
    indexed: int
    pending: int
    search: str = Field(description="how vectors are searched here (exact, in memory)")


class EmbeddingSourceInput(Input):
    """Embed the workspace's prompts with a provider connection's embeddings endpoint."""

    model_config = request_examples({"connection": "local", "model": "text-embedding-3-small"})

    connection: str = Field(min_length=1, max_length=64, description="a provider connection")
    model: str = Field(min_length=1, max_length=200, description="e.g. text-embedding-3-small")


class EmbeddingSourcePublic(BaseModel):
    """Where the workspace's embeddings come from."""

    kind: Literal["local", "provider"]
    connection: str | None
    model: str = Field(description="the key its stored vectors are kept under")
    updated_by: str | None
    updated_at: datetime | None


class ClusterMemberPublic(BaseModel):
    name: str
    version: int


class ClusterPublic(BaseModel):
    id: int
    label: str = Field(description="the cluster's most distinctive words")
    terms: list[str]
    size: int
    members: list[ClusterMemberPublic]


class ClustersPublic(BaseModel):
    """Clusters of the project's prompts (latest versions), largest first."""

    method: Literal["kmeans-embeddings", "minhash-lexical"]
    model: str | None = Field(description="the embeddings model (kmeans-embeddings)")
    fallback_reason: str | None = Field(description="why embeddings were not used")
    prompts: int
    truncated: bool
    unclustered: list[str] = Field(description="prompts in no cluster (lexical), first 500")
    clusters: list[ClusterPublic]


class CorrelationPointPublic(BaseModel):
    prompt: str
    version: int
    quality_score: int
    outcome: float
    measure: Literal["pass rate", "mean score"]
    scores: int = Field(description="evaluation scores behind the outcome")


class ScoreCorrelationPublic(BaseModel):
    """Spearman's rho between quality score and evaluation outcome across versions."""

    n: int = Field(description="versions with both a score and evaluation outcomes")
    rho: float | None
    p_value: float | None
    ci_low: float | None = Field(description="95 % interval (Fisher z)")
    ci_high: float | None
    strength: Literal["insufficient", "none", "weak", "moderate", "strong"]
    statement: str = Field(description="what the figures allow one to say")
    truncated: bool
    points: list[CorrelationPointPublic]


McpServerName = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class McpToolPublic(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=500)


class McpServerCreate(Input):
    """Declare an MCP server: a streamable HTTP ``url``, or a ``command`` for stdio
    (needs PROMPTYARD_MCP_ALLOW_STDIO and an instance administrator)."""

    model_config = request_examples({"name": "search", "url": "https://mcp.example.com/mcp"})

    name: str = McpServerName
    transport: Literal["http", "stdio"] = "http"
    url: str | None = Field(default=None, max_length=2000)
    command: list[str] | None = Field(default=None, min_length=1, max_length=32)
    description: str | None = Field(default=None, max_length=2000)
    tools: list[McpToolPublic] | None = Field(
        default=None, max_length=500, description="declared by hand (refresh discovers them)"
    )

    @model_validator(mode="after")
    def _one_target(self) -> McpServerCreate:
        if self.transport == "http" and (not self.url or self.command):
            raise ValueError("an http server needs a url (and no command)")
        if self.transport == "stdio" and (not self.command or self.url):
            raise ValueError("a stdio server needs a command (and no url)")
        if self.command and any(not part or len(part) > 1000 for part in self.command):
            raise ValueError("each part of command must be 1 to 1000 characters")
        return self


class McpServerUpdate(Input):
    url: str | None = Field(default=None, max_length=2000)
    command: list[str] | None = Field(default=None, min_length=1, max_length=32)
    description: str | None = Field(default=None, max_length=2000)
    tools: list[McpToolPublic] | None = Field(default=None, max_length=500)


class McpServerPublic(BaseModel):
    id: int
    name: str
    transport: Literal["http", "stdio"]
    url: str | None
    command: list[str] | None
    description: str | None
    tools: list[McpToolPublic]
    refreshed_at: datetime | None
    refresh_error: str | None = Field(description="why the last refresh failed")
    created_at: datetime
    created_by: str


class McpServersPublic(BaseModel):
    items: list[McpServerPublic]


class ToolSuggestionPublic(BaseModel):
    server: str
    tool: str
    reference: str = Field(description="how to name it: mcp__server__tool")
    message: str


class ToolReferencePublic(BaseModel):
    prompt: str
    version: int
    line: int
    reference: str
    server: str | None
    tool: str
    status: Literal["offered", "not_offered", "unknown_server"]
    suggestion: ToolSuggestionPublic | None


class ToolReferencesPublic(BaseModel):
    """The project's references to tools against the workspace's declared MCP servers."""

    label: str
    servers: list[str]
    tools: int = Field(description="tools the declared servers offer")
    prompts: int
    truncated: bool
    counts: dict[str, int]
    items: list[ToolReferencePublic]
