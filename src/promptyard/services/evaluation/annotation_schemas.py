"""Public shapes of annotation queues: a queue (with the LLM judge's rubric), its items,
a claimed item to score, a submission, and the agreement report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from promptyard.domain.schemas import NAME_PATTERN, Input, request_examples
from promptyard.services.evaluation.evaluators_judge import Rubric

#: Bounds: items one request adds, items a queue holds, people per item, the lease.
MAX_ADD = 1000
MAX_ITEMS = 10_000
MAX_ANNOTATORS = 10
MIN_LEASE, MAX_LEASE, DEFAULT_LEASE = 60, 3600, 600
MAX_COMMENT = 4000

_RUBRIC_EXAMPLE = {
    "criteria": [
        {"name": "correctness", "description": "The reply answers the question correctly."},
        {"name": "tone", "description": "Warm, concise, never blames the customer."},
    ],
    "scale_min": 1,
    "scale_max": 5,
}


class QueueCreate(Input):
    model_config = request_examples(
        {"name": "support-replies", "rubric": _RUBRIC_EXAMPLE, "annotators_required": 2}
    )

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    description: str | None = Field(default=None, max_length=2000)
    rubric: Rubric = Field(
        default_factory=Rubric,
        description="the same rubric as the llm_judge evaluator's config (criteria, scale, "
        "pass_threshold, instructions), so judge and people can be compared",
    )
    annotators_required: int = Field(
        default=1, ge=1, le=MAX_ANNOTATORS, description="different people who score each item"
    )
    lease_seconds: int = Field(
        default=DEFAULT_LEASE,
        ge=MIN_LEASE,
        le=MAX_LEASE,
        description="how long a claimed item stays locked to its annotator (renewable)",
    )


class QueueUpdate(Input):
    model_config = request_examples({"annotators_required": 3})

    description: str | None = Field(default=None, max_length=2000)
    annotators_required: int | None = Field(default=None, ge=1, le=MAX_ANNOTATORS)
    lease_seconds: int | None = Field(default=None, ge=MIN_LEASE, le=MAX_LEASE)


class QueueCounts(BaseModel):
    items: int
    done: int
    pending: int
    locked: int = Field(description="items someone holds a live lease on now")
    submissions: int


class QueuePublic(BaseModel):
    id: int
    name: str
    description: str | None
    rubric: Rubric
    annotators_required: int
    lease_seconds: int
    counts: QueueCounts
    created_by: str
    created_at: datetime
    updated_at: datetime


class QueuesPublic(BaseModel):
    items: list[QueuePublic]


class ItemsAdd(Input):
    """Items to add: ``generation_ids``, or the case results of run ``run_id`` (one
    ``variant`` or all), or a generations filter (``prompt``, ``negative_feedback``,
    ``since``) bounded by ``limit``."""

    model_config = request_examples(
        {"generation_ids": ["gen-0001"]}, {"prompt": "support-reply", "limit": 20}
    )

    generation_ids: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = Field(
        default=None, max_length=MAX_ADD
    )
    run_id: int | None = Field(default=None, ge=1, le=2**62)
    variant: int | None = Field(default=None, ge=0, le=100)
    prompt: str | None = Field(default=None, pattern=NAME_PATTERN)
    negative_feedback: bool = False
    since: datetime | None = None
    limit: int = Field(default=100, ge=1, le=MAX_ADD)


class ItemsAdded(BaseModel):
    added: int
    skipped: int = Field(description="already in the queue")
    total: int


class ClaimPublic(BaseModel):
    annotator: str
    status: str
    locked_until: datetime | None
    finished_at: datetime | None


class ItemPublic(BaseModel):
    id: int
    queue_id: int
    generation_id: str
    run_id: int | None
    case_id: str | None
    status: str
    submitted: int
    claims: list[ClaimPublic]
    created_at: datetime
    done_at: datetime | None


class ItemsPublic(BaseModel):
    items: list[ItemPublic]
    total: int


class WorkItemPublic(BaseModel):
    """An item claimed for the caller: what to score, and until when it is theirs."""

    item: ItemPublic
    input: str | list[dict[str, Any]] | None
    output: str | None
    prompt: str | None
    prompt_version: int | None
    model: str | None
    expected: str | None = Field(description="the dataset case's expected output (run items)")
    rubric: Rubric
    locked_until: datetime
    lease_seconds: int
    remaining: int = Field(description="items the caller could still score in this queue")


class NextPublic(BaseModel):
    """``work`` is null when nothing is left for the caller (``reason`` says why)."""

    work: WorkItemPublic | None
    reason: str | None


class Submission(Input):
    model_config = request_examples(
        {"scores": {"correctness": 4, "tone": 5}, "comment": "Right answer, a bit long."}
    )

    scores: dict[
        Annotated[str, Field(min_length=1, max_length=64)], Annotated[float, Field(ge=0, le=100)]
    ] = Field(max_length=20, description="criterion name -> score on the rubric's scale")
    comment: str | None = Field(default=None, max_length=MAX_COMMENT)


class SubmissionPublic(BaseModel):
    item: ItemPublic
    score_ids: list[int]
    value: float = Field(description="the weighted mean, normalised to 0..1 (like the judge)")
    passed: bool


class CriterionAgreement(BaseModel):
    criterion: str
    n: int = Field(description="generations with a judge score and at least one human score")
    mean_absolute_difference: float | None = Field(
        description="judge vs the humans' mean, on the rubric scale"
    )
    spearman: float | None
    weighted_kappa: float | None = Field(
        description="quadratic-weighted Cohen's kappa, judge vs the humans' rounded mean"
    )
    kappa_interpretation: str
    alpha_with_judge: float | None = Field(
        description="Krippendorff's alpha (interval) over the judge and every human"
    )
    alpha_with_judge_interpretation: str
    human_n: int = Field(description="generations with two or more human scores")
    human_alpha: float | None = Field(description="Krippendorff's alpha (interval) among humans")
    human_alpha_interpretation: str


class AgreementPublic(BaseModel):
    queue_id: int
    judge: str | None = Field(description="the judge evaluator's name the figures compare with")
    scale: list[int]
    criteria: list[CriterionAgreement]
