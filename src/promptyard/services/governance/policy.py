"""A project's review policy (protected labels, approvals, gates) and the label guard it installs.

:func:`install` adds :func:`check_label_move` to the Core's label guards, so the prompts
capability refuses a direct move of a protected label without importing governance.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from promptyard.domain.actor import Actor, RequestContext
from promptyard.domain.errors import (
    Conflict,
    ValidationFailed,
)
from promptyard.domain.schemas import (
    LATEST_LABEL,
    Input,
    label_problem,
    request_examples,
)
from promptyard.services.context import Core
from promptyard.services.governance.gates import configure_gates
from promptyard.services.identity.projects import resolve_project
from promptyard.services.operations import audit
from promptyard.store.models import (
    SqlProject,
)


def labels_ok(labels: list[str]) -> list[str]:
    for label in labels:
        problem = label_problem(label)
        if problem:
            raise ValueError(problem)
        if label == LATEST_LABEL:
            raise ValueError("'latest' is managed by the server and cannot be protected")
    return list(dict.fromkeys(labels))


class Policy(Input):
    """The review policy of one project."""

    require_review: bool = False
    protected_labels: list[str] = Field(default_factory=lambda: ["production"], max_length=50)
    required_approvals: int = Field(1, ge=1, le=10)
    gates: dict[str, bool] = Field(
        default_factory=lambda: {"variables_declared": True, "renders_with_samples": True}
    )
    gate_settings: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        max_length=20,
        description="settings of the gates that take them, by gate name (e.g. "
        "evaluation_run: dataset, fail_under, models); such a gate runs only when set here",
    )

    _check_labels = field_validator("protected_labels")(labels_ok)


class PolicyUpdate(Input):
    """Fields to change; the ones left out keep their value."""

    model_config = request_examples(
        {"require_review": True, "protected_labels": ["production"], "required_approvals": 1}
    )

    require_review: bool | None = None
    protected_labels: list[str] | None = Field(None, max_length=50)
    required_approvals: int | None = Field(None, ge=1, le=10)
    gates: dict[str, bool] | None = None
    gate_settings: dict[str, dict[str, Any]] | None = Field(None, max_length=20)

    @field_validator("protected_labels")
    @classmethod
    def _labels(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else labels_ok(value)


def load_policy(session: Session, project_id: int) -> Policy:
    settings = session.execute(
        select(SqlProject.settings).where(SqlProject.id == project_id)
    ).scalar_one_or_none()
    stored = (settings or {}).get("policy") or {}
    return Policy.model_validate(stored)


def policy_key(project_id: int) -> tuple[str, int]:
    """The ``core.cache`` key of a project's policy (dropped by :func:`set_policy` and, in
    the other processes, by the change poller on ``policy.update``)."""
    return ("policy", project_id)


def cached_policy(core: Core, session: Session, project_id: int) -> Policy:
    """:func:`load_policy` through ``core.cache``: a label move reads no policy row."""
    key = policy_key(project_id)
    found = core.cache.get(key, "policy")
    if isinstance(found, Policy):
        return found
    generation = core.cache.generation(key)  # before the read: a racing write wins
    policy = load_policy(session, project_id)
    core.cache.put(key, "policy", policy, generation)
    return policy


def check_label_move(
    session: Session, project_id: int, label: str, *, core: Core | None = None
) -> None:
    """Refuse a direct move of a protected label while the project requires review."""
    if core is None:
        policy = load_policy(session, project_id)
    else:
        policy = cached_policy(core, session, project_id)
    if policy.require_review and label in policy.protected_labels:
        raise Conflict(
            f"label {label!r} is protected in this project: open a change request "
            "(POST /api/v1/change-requests or `promptyard review open`) to move it",
            code="review_required",
            details={"label": label},
        )


def get_policy(core: Core, *, project_id: int) -> Policy:
    with core.store.read() as session:
        return load_policy(session, project_id)


def set_policy(core: Core, *, ctx: RequestContext, project_id: int, data: PolicyUpdate) -> Policy:
    with core.store.write() as session:
        project = session.execute(
            select(SqlProject).where(SqlProject.id == project_id).with_for_update()
        ).scalar_one()
        current = load_policy(session, project_id)
        merged = Policy.model_validate(
            {**current.model_dump(), **data.model_dump(exclude_none=True)}
        )
        unknown = sorted(set(merged.gates) - set(core.gates))
        if unknown:
            known = ", ".join(sorted(core.gates))
            raise ValidationFailed(f"unknown gate(s): {', '.join(unknown)}; known gates: {known}")
        merged.gate_settings = configure_gates(core, merged.gate_settings)
        project.settings = {**(project.settings or {}), "policy": merged.model_dump()}
        audit.append(
            core,
            session,
            ctx=ctx,
            action="policy.update",
            object_type="project",
            object_id=str(project_id),
            summary=merged.model_dump(),
        )
    core.cache.invalidate(policy_key(project_id))  # after the commit
    return merged


def project_for(core: Core, actor: Actor, slug: str) -> int:
    return resolve_project(core, actor, slug)


class ProtectedLabelGuard:
    """:func:`check_label_move` bound to a Core, so it reads the policy through its cache."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def __call__(self, session: Session, project_id: int, label: str) -> None:
        check_label_move(session, project_id, label, core=self.core)


def install(core: Core) -> None:
    """Register governance's label guard on ``core`` (done once, where the Core is built)."""
    if not any(isinstance(guard, ProtectedLabelGuard) for guard in core.label_guards):
        core.label_guards.append(ProtectedLabelGuard(core))
