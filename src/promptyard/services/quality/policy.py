"""A project's quality policy, and the save guard that refuses secrets when it says so.

The policy lives in the project's settings (``settings["quality"]``). :func:`install`
adds :func:`guard` to the Core's version guards: every version about to be committed
passes it, and with ``block_secrets_on_save`` on, a version in which the ``secret`` rule
finds anything is refused (``422 secret_in_content``, the secret masked). Other processes
see a change within :data:`POLICY_TTL_SECONDS` (the policy is cached in ``core.cache``).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import ValidationFailed
from promptyard.domain.schemas import Input, request_examples
from promptyard.services.context import Core
from promptyard.services.identity.projects import set_project_setting
from promptyard.services.operations import audit
from promptyard.services.quality import engine
from promptyard.store.models import SqlProject

POLICY_TTL_SECONDS = 10.0
SECRET_RULE = "secret"


class QualityPolicy(Input):
    """The quality policy of one project."""

    model_config = request_examples({"block_secrets_on_save": True})

    block_secrets_on_save: bool = False


class QualityPolicyUpdate(Input):
    """Fields to change; the ones left out keep their value."""

    model_config = request_examples({"block_secrets_on_save": True})

    block_secrets_on_save: bool | None = None


def load_policy(session: Session, project_id: int) -> QualityPolicy:
    settings = session.execute(
        select(SqlProject.settings).where(SqlProject.id == project_id)
    ).scalar_one_or_none()
    return QualityPolicy.model_validate((settings or {}).get("quality") or {})


def get_policy(core: Core, *, project_id: int) -> QualityPolicy:
    with core.store.read() as session:
        return load_policy(session, project_id)


def set_policy(
    core: Core, *, ctx: RequestContext, project_id: int, data: QualityPolicyUpdate
) -> QualityPolicy:
    with core.store.write() as session:
        current = load_policy(session, project_id)
        merged = QualityPolicy.model_validate(
            {**current.model_dump(), **data.model_dump(exclude_none=True)}
        )
        set_project_setting(session, project_id, "quality", merged.model_dump())
        audit.append(
            core,
            session,
            ctx=ctx,
            action="quality_policy.update",
            object_type="project",
            object_id=str(project_id),
            summary=merged.model_dump(),
        )
    core.cache.invalidate(policy_key(project_id))  # after the commit
    return merged


def policy_key(project_id: int) -> tuple[str, int]:
    """The ``core.cache`` key of a project's quality policy."""
    return ("quality-policy", project_id)


def cached_policy(core: Core, session: Session, project_id: int) -> QualityPolicy:
    """:func:`load_policy` through ``core.cache``, for :data:`POLICY_TTL_SECONDS`: a save
    reads no project row, and a change made in another process is seen soon after."""
    key = policy_key(project_id)
    found = core.cache.get(key, "policy")
    now = time.monotonic()
    if found is not None and found[1] > now:
        return found[0]
    generation = core.cache.generation(key)  # before the read: a racing write wins
    policy = load_policy(session, project_id)
    core.cache.put(key, "policy", (policy, now + POLICY_TTL_SECONDS), generation)
    return policy


def secret_findings(core: Core, type_: str, content: Any) -> list[dict[str, Any]]:
    rule = core.quality_rules.get(SECRET_RULE)
    if rule is None:
        return []
    ctx = engine.rule_context(name="", type_=type_, content=content, config={}, variables=())
    found, _failed = engine.run_rules({SECRET_RULE: rule}, ctx, chat=not isinstance(content, str))
    return found


def install(core: Core) -> None:
    """Add the secret-blocking guard to the Core's version guards."""

    def guard(session: Session, project_id: int, type_: str, content: Any) -> None:
        if not cached_policy(core, session, project_id).block_secrets_on_save:
            return
        found = secret_findings(core, type_, content)
        if found:
            where = "; ".join(f"{f['field']} line {f['line']}: {f['detail']}" for f in found[:5])
            raise ValidationFailed(
                f"the content holds {len(found)} secret(s) and this project blocks saving "
                f"secrets: {where}",
                code="secret_in_content",
                details={"findings": found[:20]},
            )

    core.version_guards.append(guard)
