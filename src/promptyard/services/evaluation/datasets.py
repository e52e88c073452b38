"""Datasets: named, versioned lists of cases (input variables, expected output, metadata).

Every change makes a new version; older versions never change, so a run or a CI job can
pin ``name@version`` and get the same cases forever. A case keeps its ``id`` across
versions. Storage (``SqlDatasetCase``): each revision of a case is a row valid from one
version up to (not including) another; an edit or a deletion closes the revision and,
for an edit, opens a new one. Version ``N`` is the rows with ``from_version <= N`` and
``to_version`` null or ``> N``, in their ``position`` order.

Reading: :func:`get_dataset_version` (what runs use), :func:`dataset_public`,
:func:`list_datasets`, :func:`list_versions`. Writing, each one new version:
:func:`create_dataset`, :func:`add_cases`, :func:`replace_cases`, :func:`update_case`,
:func:`delete_case`. Files: ``datasets_io``; stored generations: ``datasets_sources``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import AlreadyExists, NotFound, ValidationFailed
from promptyard.domain.schemas import first_error, name_problem
from promptyard.services.context import Core
from promptyard.services.evaluation.datasets_schemas import (
    MAX_CASE_BYTES,
    MAX_CASES,
    CaseIn,
    CasePublic,
    CaseUpdate,
    DatasetPublic,
    DatasetsPublic,
    DatasetSummary,
    DatasetVersionPublic,
    DatasetVersionsPublic,
)
from promptyard.services.operations import audit
from promptyard.store.models import SqlDataset, SqlDatasetCase, SqlDatasetVersion


@dataclass(frozen=True)
class Case:
    """One case as a run sees it. ``id`` is stable across the dataset's versions."""

    id: str
    input: dict[str, Any]
    expected: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetVersion:
    """A dataset at one version, with all its cases in order."""

    dataset_id: int
    name: str
    version: int
    cases: list[Case]


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``"name"`` or ``"name@version"`` as ``(name, version or None)``."""
    name, sep, version = ref.partition("@")
    if not sep:
        return name, None
    if not version.isdigit() or int(version) < 1 or len(version) > 9:
        raise ValidationFailed(f"dataset {ref!r}: write it as NAME or NAME@VERSION (VERSION >= 1)")
    return name, int(version)


# -- reading --------------------------------------------------------------------------------


def _load(session: Session, project_id: int, name: str, *, lock: bool = False) -> SqlDataset:
    query = select(SqlDataset).where(SqlDataset.project_id == project_id, SqlDataset.name == name)
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise NotFound(f"no dataset {name!r} in this project", code="dataset_not_found")
    return row


def _at(dataset_id: int, version: int) -> Any:
    return (
        (SqlDatasetCase.dataset_id == dataset_id)
        & (SqlDatasetCase.from_version <= version)
        & or_(SqlDatasetCase.to_version.is_(None), SqlDatasetCase.to_version > version)
    )


def _version(row: SqlDataset, version: int | None) -> int:
    if version is None:
        return row.latest_version
    if not 1 <= version <= row.latest_version:
        raise NotFound(
            f"dataset {row.name!r} has no version {version} (latest: {row.latest_version})",
            code="dataset_version_not_found",
        )
    return version


def get_dataset_version(
    core: Core, project_id: int, name: str, version: int | None = None
) -> DatasetVersion:
    """The dataset's cases at ``version`` (the latest when ``None``)."""
    with core.store.read() as session:
        row = _load(session, project_id, name)
        number = _version(row, version)
        rows = session.scalars(
            select(SqlDatasetCase).where(_at(row.id, number)).order_by(SqlDatasetCase.position)
        ).all()
        cases = [
            Case(
                id=c.case_id,
                input=dict(c.input or {}),
                expected=c.expected,
                metadata=dict(c.meta or {}),
            )
            for c in rows
        ]
        return DatasetVersion(dataset_id=row.id, name=row.name, version=number, cases=cases)


def case_expected(core: Core, project_id: int, name: str, version: int, case_id: str) -> str | None:
    """The expected output of one case of a dataset version (None when it has none, or
    the dataset or case is gone)."""
    with core.store.read() as session:
        row = session.scalars(
            select(SqlDataset).where(SqlDataset.project_id == project_id, SqlDataset.name == name)
        ).first()
        if row is None:
            return None
        return session.scalar(
            select(SqlDatasetCase.expected).where(
                _at(row.id, version), SqlDatasetCase.case_id == case_id
            )
        )


def _count(session: Session, row: SqlDataset, version: int) -> int:
    if version == 0:
        return 0
    found = session.scalar(
        select(SqlDatasetVersion.case_count).where(
            SqlDatasetVersion.dataset_id == row.id, SqlDatasetVersion.number == version
        )
    )
    return int(found or 0)


def _summary(session: Session, row: SqlDataset) -> DatasetSummary:
    return DatasetSummary(
        id=row.id,
        name=row.name,
        description=row.description,
        latest_version=row.latest_version,
        case_count=_count(session, row, row.latest_version),
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def list_datasets(core: Core, *, project_id: int) -> DatasetsPublic:
    with core.store.read() as session:
        rows = session.scalars(
            select(SqlDataset).where(SqlDataset.project_id == project_id).order_by(SqlDataset.name)
        ).all()
        return DatasetsPublic(items=[_summary(session, row) for row in rows])


def _case_public(c: SqlDatasetCase) -> CasePublic:
    return CasePublic(
        id=c.case_id,
        input=dict(c.input or {}),
        expected=c.expected,
        metadata=dict(c.meta or {}),
        since_version=c.from_version,
        source_generation_id=c.source_generation_id,
    )


def dataset_public(
    core: Core,
    *,
    project_id: int,
    name: str,
    version: int | None = None,
    offset: int = 0,
    limit: int = 100,
) -> DatasetPublic:
    """The dataset at ``version`` (latest by default) with cases ``offset``.. ``+limit``."""
    with core.store.read() as session:
        row = _load(session, project_id, name)
        number = _version(row, version)
        cases = session.scalars(
            select(SqlDatasetCase)
            .where(_at(row.id, number))
            .order_by(SqlDatasetCase.position)
            .offset(offset)
            .limit(limit)
        ).all()
        return DatasetPublic(
            **_summary(session, row).model_dump(),
            version=number,
            version_case_count=_count(session, row, number),
            cases=[_case_public(c) for c in cases],
            offset=offset,
            limit=limit,
        )


def list_versions(core: Core, *, project_id: int, name: str) -> DatasetVersionsPublic:
    with core.store.read() as session:
        row = _load(session, project_id, name)
        versions = session.scalars(
            select(SqlDatasetVersion)
            .where(SqlDatasetVersion.dataset_id == row.id)
            .order_by(SqlDatasetVersion.number.desc())
        ).all()
        return DatasetVersionsPublic(
            items=[
                DatasetVersionPublic(
                    version=v.number,
                    message=v.message,
                    case_count=v.case_count,
                    created_at=v.created_at,
                    created_by=v.created_by,
                )
                for v in versions
            ]
        )


# -- writing --------------------------------------------------------------------------------


def _check_case(index: int, case: CaseIn) -> None:
    size = len(
        json.dumps(
            {"input": case.input, "expected": case.expected, "metadata": case.metadata},
            ensure_ascii=False,
        ).encode()
    )
    if size > MAX_CASE_BYTES:
        raise ValidationFailed(
            f"cases[{index}]: the case is {size} bytes of JSON; at most {MAX_CASE_BYTES}",
            details={"case": index, "max_bytes": MAX_CASE_BYTES},
        )


def _open_ids(session: Session, dataset_id: int) -> set[str]:
    return set(
        session.scalars(
            select(SqlDatasetCase.case_id).where(
                SqlDatasetCase.dataset_id == dataset_id, SqlDatasetCase.to_version.is_(None)
            )
        ).all()
    )


def _new_version(
    core: Core, session: Session, ctx: RequestContext, row: SqlDataset, message: str, count: int
) -> int:
    if count > MAX_CASES:
        raise ValidationFailed(
            f"dataset {row.name!r} would have {count} cases; at most {MAX_CASES}",
            code="dataset_too_large",
        )
    number = row.latest_version + 1
    now = core.clock()
    session.add(
        SqlDatasetVersion(
            dataset_id=row.id,
            number=number,
            message=message,
            case_count=count,
            created_at=now,
            created_by=ctx.actor.ref,
        )
    )
    row.latest_version = number
    row.updated_at = now
    row.updated_by = ctx.actor.ref
    return number


def _insert(
    session: Session,
    row: SqlDataset,
    number: int,
    cases: list[CaseIn],
    taken: set[str],
    sources: list[str | None] | None = None,
) -> None:
    for index, case in enumerate(cases):
        _check_case(index, case)
        case_id = case.id or uuid.uuid4().hex[:16]
        if case_id in taken:
            raise AlreadyExists(
                f"cases[{index}]: the dataset already has a case {case_id!r}",
                code="duplicate_case_id",
                details={"case": index, "id": case_id},
            )
        taken.add(case_id)
        session.add(
            SqlDatasetCase(
                dataset_id=row.id,
                case_id=case_id,
                position=row.next_position,
                from_version=number,
                to_version=None,
                input=case.input,
                expected=case.expected,
                meta=case.metadata,
                source_generation_id=sources[index] if sources else None,
            )
        )
        row.next_position += 1


def _audit(
    core: Core, session: Session, ctx: RequestContext, action: str, row: SqlDataset, **summary: Any
) -> None:
    audit.append(
        core,
        session,
        ctx=ctx,
        action=action,
        object_type="dataset",
        object_id=row.name,
        summary={"project_id": row.project_id, "version": row.latest_version, **summary},
    )


def create_dataset(
    core: Core,
    ctx: RequestContext,
    project_id: int,
    name: str,
    cases: list[dict[str, Any]] | list[CaseIn],
    description: str | None = None,
    message: str = "",
    *,
    sources: list[str | None] | None = None,
) -> DatasetVersion:
    """Make dataset ``name`` with ``cases`` as its version 1 (``AlreadyExists`` when the
    project has one of that name). A case is ``{"input", "expected"?, "metadata"?, "id"?}``."""
    problem = name_problem(name)
    if problem:
        raise ValidationFailed(f"name: {problem}")
    checked = _checked(cases)
    with core.store.write() as session:
        exists = session.scalar(
            select(func.count())
            .select_from(SqlDataset)
            .where(SqlDataset.project_id == project_id, SqlDataset.name == name)
        )
        if exists:
            raise AlreadyExists(f"the project already has a dataset {name!r}")
        now = core.clock()
        row = SqlDataset(
            project_id=project_id,
            name=name,
            description=description or "",
            latest_version=0,
            next_position=0,
            created_at=now,
            created_by=ctx.actor.ref,
            updated_at=now,
            updated_by=ctx.actor.ref,
        )
        session.add(row)
        session.flush()
        number = _new_version(core, session, ctx, row, message or "created", len(checked))
        _insert(session, row, number, checked, set(), sources)
        _audit(core, session, ctx, "dataset.create", row, cases=len(checked))
    return get_dataset_version(core, project_id, name, number)


def _checked(cases: list[dict[str, Any]] | list[CaseIn]) -> list[CaseIn]:
    out: list[CaseIn] = []
    for index, case in enumerate(cases):
        if isinstance(case, CaseIn):
            out.append(case)
            continue
        try:
            out.append(CaseIn.model_validate(case))
        except ValueError as exc:
            raise ValidationFailed(f"cases[{index}]: {first_error(exc)}") from None
    return out


def add_cases(
    core: Core,
    ctx: RequestContext,
    project_id: int,
    name: str,
    cases: list[dict[str, Any]] | list[CaseIn],
    message: str = "",
    *,
    sources: list[str | None] | None = None,
) -> DatasetVersion:
    """Append ``cases`` as a new version."""
    checked = _checked(cases)
    if not checked:
        raise ValidationFailed("cases: give at least one case")
    with core.store.write() as session:
        row = _load(session, project_id, name, lock=True)
        count = _count(session, row, row.latest_version) + len(checked)
        taken = _open_ids(session, row.id)
        number = _new_version(core, session, ctx, row, message or f"added {len(checked)}", count)
        _insert(session, row, number, checked, taken, sources)
        _audit(core, session, ctx, "dataset.add_cases", row, added=len(checked))
    return get_dataset_version(core, project_id, name, number)


def replace_cases(
    core: Core,
    ctx: RequestContext,
    project_id: int,
    name: str,
    cases: list[CaseIn],
    message: str = "",
) -> tuple[DatasetVersion, int]:
    """A new version holding exactly ``cases`` (``(version, cases replaced)``)."""
    with core.store.write() as session:
        row = _load(session, project_id, name, lock=True)
        replaced = _count(session, row, row.latest_version)
        number = _new_version(core, session, ctx, row, message or "replaced", len(cases))
        session.execute(
            update(SqlDatasetCase)
            .where(SqlDatasetCase.dataset_id == row.id, SqlDatasetCase.to_version.is_(None))
            .values(to_version=number)
        )
        _insert(session, row, number, cases, set())
        _audit(core, session, ctx, "dataset.replace_cases", row, cases=len(cases))
    return get_dataset_version(core, project_id, name, number), replaced


def _open_case(session: Session, row: SqlDataset, case_id: str) -> SqlDatasetCase:
    found = session.scalars(
        select(SqlDatasetCase).where(
            SqlDatasetCase.dataset_id == row.id,
            SqlDatasetCase.case_id == case_id,
            SqlDatasetCase.to_version.is_(None),
        )
    ).first()
    if found is None:
        raise NotFound(f"dataset {row.name!r} has no case {case_id!r}", code="case_not_found")
    return found


def update_case(
    core: Core, ctx: RequestContext, project_id: int, name: str, case_id: str, body: CaseUpdate
) -> DatasetVersion:
    """A new version in which case ``case_id`` has the content ``body`` gives."""
    with core.store.write() as session:
        row = _load(session, project_id, name, lock=True)
        old = _open_case(session, row, case_id)
        new = CaseIn(
            id=case_id,
            input=body.input if body.input is not None else dict(old.input or {}),
            expected=None
            if body.clear_expected
            else (body.expected if body.expected is not None else old.expected),
            metadata=body.metadata if body.metadata is not None else dict(old.meta or {}),
        )
        _check_case(0, new)
        count = _count(session, row, row.latest_version)
        number = _new_version(core, session, ctx, row, body.message or f"edited {case_id}", count)
        old.to_version = number
        session.add(
            SqlDatasetCase(
                dataset_id=row.id,
                case_id=case_id,
                position=old.position,
                from_version=number,
                to_version=None,
                input=new.input,
                expected=new.expected,
                meta=new.metadata,
                source_generation_id=old.source_generation_id,
            )
        )
        _audit(core, session, ctx, "dataset.update_case", row, case=case_id)
    return get_dataset_version(core, project_id, name, number)


def delete_case(
    core: Core, ctx: RequestContext, project_id: int, name: str, case_id: str, message: str = ""
) -> DatasetVersion:
    """A new version without case ``case_id`` (older versions keep it)."""
    with core.store.write() as session:
        row = _load(session, project_id, name, lock=True)
        old = _open_case(session, row, case_id)
        count = _count(session, row, row.latest_version) - 1
        number = _new_version(core, session, ctx, row, message or f"deleted {case_id}", count)
        old.to_version = number
        _audit(core, session, ctx, "dataset.delete_case", row, case=case_id)
    return get_dataset_version(core, project_id, name, number)


def exists(core: Core, project_id: int, name: str) -> bool:
    with core.store.read() as session:
        found = session.scalar(
            select(func.count())
            .select_from(SqlDataset)
            .where(SqlDataset.project_id == project_id, SqlDataset.name == name)
        )
    return bool(found)
