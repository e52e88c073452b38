"""Point-in-time recovery of prompt state, as new versions and label moves.

:func:`plan` works out, for each prompt in scope, what differs from its state at time
``at``, from records that are never rewritten:

- the content: the newest version on ``main`` created at or before ``at``; when the
  current head's content hash differs, a **rollback** to that version (a new version
  equal to it: history is never rewritten);
- the labels (all but ``latest``, which follows main): the last label event at or before
  ``at`` says where each label pointed; a label that differs is **moved** back, a label
  that did not exist then is **removed**;
- existence: a prompt created after ``at`` is **deleted** (soft: ``promptyard prompt
  restore`` brings it back); a prompt deleted after ``at`` is **undeleted**.

:func:`point_in_time_restore` applies the plan through the normal prompt services
(:func:`~promptyard.services.prompts.versions.rollback`, ``set_label``, ``delete_label``,
``registry.delete_prompt`` / ``restore_prompt``), so each change passes the same checks
(label guards, quality guards) and is recorded in the audit trail like any other; one
more audit event, ``recovery.point_in_time``, summarises the run. A change a guard
refuses is reported with the reason and the others go on. ``dry_run`` returns the plan
without changing anything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import and_, func, select

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import DomainError, ValidationFailed
from promptyard.domain.schemas import RollbackRequest
from promptyard.services.context import Core
from promptyard.services.operations import audit
from promptyard.services.prompts import registry, versions
from promptyard.store.models import SqlLabel, SqlLabelEvent, SqlProject, SqlPrompt, SqlVersion

MAIN = "main"
LATEST = "latest"
Kind = Literal["undelete", "content", "label", "delete"]
_ORDER: dict[str, int] = {"undelete": 0, "content": 1, "label": 2, "delete": 3}


@dataclass
class Change:
    """One change that brings a prompt back to its state at the chosen time."""

    project: str
    prompt: str
    kind: Kind
    #: For ``label``: the label's name.
    label: str | None
    #: ``content``: the current head; ``label``: where the label points now (None: absent).
    current: int | None
    #: ``content``: the version to roll back to; ``label``: where it pointed (None: absent).
    target: int | None
    description: str
    applied: bool = False
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class RecoveryReport:
    at: datetime
    dry_run: bool
    projects: list[str]
    prompts_checked: int
    changes: list[Change] = field(default_factory=list)

    @property
    def failed(self) -> list[Change]:
        return [change for change in self.changes if change.error]

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "dry_run": self.dry_run,
            "projects": self.projects,
            "prompts_checked": self.prompts_checked,
            "changes": [change.to_dict() for change in self.changes],
            "applied": sum(change.applied for change in self.changes),
            "failed": len(self.failed),
        }


@dataclass(frozen=True)
class _Project:
    id: int
    slug: str
    workspace_id: int


def _as_utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def projects_in(
    core: Core, *, workspace_id: int | None, slugs: Iterable[str] = ()
) -> list[_Project]:
    """The projects named by ``slugs`` (all when empty) of a workspace (of every
    workspace when ``workspace_id`` is None: the CLI, run by the operator)."""
    wanted = list(slugs)
    query = select(SqlProject.id, SqlProject.slug, SqlProject.workspace_id).order_by(SqlProject.id)
    if workspace_id is not None:
        query = query.where(SqlProject.workspace_id == workspace_id)
    if wanted:
        query = query.where(SqlProject.slug.in_(wanted))
    with core.store.read() as session:
        found = [_Project(*row) for row in session.execute(query)]
    missing = sorted(set(wanted) - {project.slug for project in found})
    if missing:
        raise ValidationFailed(f"no project {', '.join(missing)}", details={"missing": missing})
    return found


def plan(
    core: Core, *, projects: list[_Project], at: datetime, prompt: str | None = None
) -> tuple[list[Change], int]:
    """The changes that bring ``projects`` (or one ``prompt`` in them) back to ``at``,
    in the order they are applied; and how many prompts were looked at. A handful of
    queries per project, whatever its size."""
    at = _as_utc(at)
    if at > core.clock():
        raise ValidationFailed("the time to restore to is in the future")
    changes: list[Change] = []
    checked = 0
    with core.store.read() as session:
        for project in projects:
            state = _State.load(session, project.id, prompt, at)
            if prompt is not None and not state.prompts:
                raise ValidationFailed(f"no prompt {prompt!r} in project {project.slug}")
            for row in state.prompts:
                checked += 1
                changes.extend(_plan_prompt(state, project, row, at))
    changes.sort(key=lambda change: (_ORDER[change.kind], change.project, change.prompt))
    return changes, checked


@dataclass
class _State:
    """What one project's prompts look like now and looked like at the time."""

    prompts: list[Any]
    #: prompt id -> (number, content hash) of the newest main version at the time.
    then: dict[int, tuple[int, str]]
    #: prompt id -> content hash of its latest version now.
    now_hash: dict[int, str]
    labels_then: dict[int, dict[str, int | None]]
    labels_now: dict[int, dict[str, int]]

    @classmethod
    def load(cls, session: Any, project_id: int, prompt: str | None, at: datetime) -> _State:
        def scoped(query: Any) -> Any:
            query = query.where(SqlPrompt.project_id == project_id)
            return query.where(SqlPrompt.name == prompt) if prompt is not None else query

        prompts = session.execute(
            scoped(
                select(
                    SqlPrompt.id,
                    SqlPrompt.name,
                    SqlPrompt.created_at,
                    SqlPrompt.deleted_at,
                    SqlPrompt.latest_version,
                )
            ).order_by(SqlPrompt.name)
        ).all()
        heads = (
            scoped(
                select(SqlVersion.prompt_id, func.max(SqlVersion.number).label("number"))
                .join(SqlPrompt, SqlPrompt.id == SqlVersion.prompt_id)
                .where(SqlVersion.branch == MAIN, SqlVersion.created_at <= at)
            )
            .group_by(SqlVersion.prompt_id)
            .subquery()
        )
        then = {
            row[0]: (row[1], row[2])
            for row in session.execute(
                select(heads.c.prompt_id, heads.c.number, SqlVersion.content_hash).join(
                    SqlVersion,
                    and_(
                        SqlVersion.prompt_id == heads.c.prompt_id,
                        SqlVersion.number == heads.c.number,
                    ),
                )
            )
        }
        now_hash = dict(
            session.execute(
                scoped(
                    select(SqlPrompt.id, SqlVersion.content_hash).join(
                        SqlVersion,
                        and_(
                            SqlVersion.prompt_id == SqlPrompt.id,
                            SqlVersion.number == SqlPrompt.latest_version,
                        ),
                    )
                )
            ).all()
        )
        labels_then: dict[int, dict[str, int | None]] = {}
        for prompt_id, label, to_version in session.execute(
            scoped(
                select(SqlLabelEvent.prompt_id, SqlLabelEvent.label, SqlLabelEvent.to_version)
                .join(SqlPrompt, SqlPrompt.id == SqlLabelEvent.prompt_id)
                .where(SqlLabelEvent.created_at <= at)
            ).order_by(SqlLabelEvent.id)
        ):
            labels_then.setdefault(prompt_id, {})[label] = to_version
        labels_now: dict[int, dict[str, int]] = {}
        for prompt_id, label, version in session.execute(
            scoped(
                select(SqlLabel.prompt_id, SqlLabel.name, SqlLabel.version).join(
                    SqlPrompt, SqlPrompt.id == SqlLabel.prompt_id
                )
            )
        ):
            labels_now.setdefault(prompt_id, {})[label] = version
        return cls(list(prompts), then, now_hash, labels_then, labels_now)


def _plan_prompt(state: _State, project: _Project, prompt: Any, at: datetime) -> list[Change]:
    def change(
        kind: Kind, current: int | None, target: int | None, text: str, label: str | None = None
    ) -> Change:
        return Change(project.slug, prompt.name, kind, label, current, target, text)

    if prompt.created_at > at:
        if prompt.deleted_at is None:
            return [change("delete", prompt.latest_version, None, "did not exist yet: delete it")]
        return []
    if prompt.deleted_at is not None and prompt.deleted_at <= at:
        return []  # deleted then and now
    found: list[Change] = []
    if prompt.deleted_at is not None:
        found.append(change("undelete", None, None, "was not deleted yet: restore it"))
    then = state.then.get(prompt.id)
    if then is not None and then[1] != state.now_hash.get(prompt.id):
        found.append(
            change(
                "content",
                prompt.latest_version,
                then[0],
                f"content was version {then[0]}: new version equal to it",
            )
        )
    labels_then = state.labels_then.get(prompt.id, {})
    labels_now = state.labels_now.get(prompt.id, {})
    for label in sorted((set(labels_then) | set(labels_now)) - {LATEST}):
        before, now = labels_then.get(label), labels_now.get(label)
        if before == now:
            continue
        text = f"pointed to version {before}" if before is not None else "did not exist: remove it"
        found.append(change("label", now, before, text, label))
    return found


def point_in_time_restore(
    core: Core,
    *,
    ctx: RequestContext,
    projects: list[_Project],
    at: datetime,
    prompt: str | None = None,
    dry_run: bool = True,
) -> RecoveryReport:
    """Plan (and unless ``dry_run``, apply) the return to ``at``; see the module docstring."""
    at = _as_utc(at)
    changes, checked = plan(core, projects=projects, at=at, prompt=prompt)
    report = RecoveryReport(at, dry_run, [project.slug for project in projects], checked, changes)
    if dry_run:
        return report
    by_slug = {project.slug: project for project in projects}
    for change in changes:
        project = by_slug[change.project]
        acting = ctx
        if ctx.actor.type == "system":  # the operator's CLI: record it in the project's workspace
            acting = dataclasses.replace(
                ctx, actor=dataclasses.replace(ctx.actor, workspace_id=project.workspace_id)
            )
        try:
            _apply(core, acting, project.id, change, at)
            change.applied = True
        except DomainError as exc:
            change.error = str(exc)
    for project in projects:
        mine = [change for change in changes if change.project == project.slug]
        if not mine:
            continue
        with core.store.write() as session:
            audit.append(
                core,
                session,
                ctx=ctx,
                action="recovery.point_in_time",
                object_type="project",
                object_id=str(project.id),
                summary={
                    "project": project.slug,
                    "at": at.isoformat(),
                    "prompt": prompt,
                    "applied": sum(change.applied for change in mine),
                    "failed": sum(bool(change.error) for change in mine),
                },
                workspace_id=project.workspace_id,
            )
    return report


def _apply(core: Core, ctx: RequestContext, project_id: int, change: Change, at: datetime) -> None:
    name = change.prompt
    if change.kind == "undelete":
        registry.restore_prompt(core, ctx=ctx, project_id=project_id, name=name)
    elif change.kind == "delete":
        registry.delete_prompt(core, ctx=ctx, project_id=project_id, name=name)
    elif change.kind == "content":
        assert change.target is not None
        request = RollbackRequest(
            version=change.target,
            commit_message=f"point-in-time restore to {at.isoformat()}",
            base_version=change.current,
        )
        versions.rollback(core, ctx=ctx, project_id=project_id, name=name, data=request)
    else:
        assert change.label is not None
        if change.target is None:
            versions.delete_label(
                core, ctx=ctx, project_id=project_id, name=name, label=change.label
            )
        else:
            versions.set_label(
                core,
                ctx=ctx,
                project_id=project_id,
                name=name,
                label=change.label,
                version=change.target,
            )
