"""Export a whole project to one JSON/YAML bundle, and import it back exactly.

A bundle keeps every prompt with all versions (content, config, parents, branch, message,
author, time), labels and their history, and branches. Importing checks every version's
content hash and template syntax before writing anything, and writes all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import orjson
import yaml
from pydantic import Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.domain.content import content_hash
from promptyard.domain.errors import (
    AlreadyExists,
    JsonTooDeep,
    StoredDataUnreadable,
    ValidationFailed,
)
from promptyard.domain.jsonvalues import (
    MAX_JSON_DEPTH,
    check_stored_json,
    json_depth,
    too_deep_message,
)
from promptyard.domain.schemas import (
    BRANCH_PATTERN,
    LABEL_PATTERN,
    MAX_VERSION,
    NAME_PATTERN,
    Input,
    PromptType,
    normalize_folder,
    parse_content,
)
from promptyard.services.context import Core
from promptyard.services.operations import audit, audit_checkpoints
from promptyard.services.prompts.content_analysis import search_text, template_sources
from promptyard.services.prompts.lookup import prompt_key
from promptyard.store.models import (
    SqlBranch,
    SqlLabel,
    SqlLabelEvent,
    SqlProject,
    SqlPrompt,
    SqlPromptTag,
    SqlVersion,
)

FORMAT: Literal["promptyard-bundle"] = "promptyard-bundle"


class _Strict(Input):
    pass


class BundleVersion(_Strict):
    number: int = Field(ge=1, le=MAX_VERSION)
    branch: str = Field(pattern=BRANCH_PATTERN)
    type: PromptType
    content: str | list[dict[str, Any]]
    config: dict[str, Any] = Field(default_factory=dict)
    variables: list[dict[str, Any]] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    content_hash: str
    parent: int | None = None
    merge_parent: int | None = None
    message: str = ""
    author: str
    created_at: datetime

    @field_validator("config")
    @classmethod
    def _config(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_stored_json(value, "config")
        return value


class BundleLabel(_Strict):
    name: str = Field(pattern=LABEL_PATTERN)
    version: int = Field(ge=1, le=MAX_VERSION)
    updated_at: datetime
    updated_by: str


class BundleLabelEvent(_Strict):
    label: str = Field(pattern=LABEL_PATTERN)
    from_version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    to_version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    actor: str
    created_at: datetime


class BundleBranch(_Strict):
    name: str = Field(pattern=BRANCH_PATTERN)
    base: int | None
    head: int | None
    created_at: datetime
    created_by: str
    merged_at: datetime | None = None


class BundlePrompt(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    folder: str = ""
    type: PromptType
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    deleted_at: datetime | None = None
    versions: list[BundleVersion] = Field(min_length=1)
    labels: list[BundleLabel] = Field(default_factory=list)
    label_events: list[BundleLabelEvent] = Field(default_factory=list)
    branches: list[BundleBranch] = Field(default_factory=list)

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_stored_json(value, "metadata")
        return value


class Bundle(_Strict):
    format: Literal["promptyard-bundle"]
    format_version: Literal[1]
    project: dict[str, str]
    exported_at: datetime | None = None
    #: The server's latest signed audit checkpoint when exported (ignored on import): one
    #: more copy of the chain's head outside the database (see docs/security.md).
    audit_checkpoint: dict[str, Any] | None = None
    prompts: list[BundlePrompt]


def _bundle_prompt(
    p: SqlPrompt,
    versions: list[SqlVersion],
    labels: list[SqlLabel],
    events: list[SqlLabelEvent],
    branches: list[SqlBranch],
) -> BundlePrompt:
    return BundlePrompt(
        name=p.name,
        folder=p.folder,
        type=p.type,  # type: ignore[arg-type]
        description=p.description,
        tags=list(p.tags),
        metadata=dict(p.meta),
        created_at=p.created_at,
        created_by=p.created_by,
        updated_at=p.updated_at,
        updated_by=p.updated_by,
        deleted_at=p.deleted_at,
        versions=[_bundle_version(v) for v in versions],
        labels=[_bundle_label(label) for label in labels],
        label_events=[_bundle_label_event(e) for e in events],
        branches=[_bundle_branch(b) for b in branches],
    )


def _bundle_version(v: SqlVersion) -> BundleVersion:
    return BundleVersion(
        number=v.number,
        branch=v.branch,
        type=v.type,  # type: ignore[arg-type]
        content=v.content,
        config=v.config,
        variables=v.variables,
        references=v.references,
        content_hash=v.content_hash,
        parent=v.parent,
        merge_parent=v.merge_parent,
        message=v.message,
        author=v.author,
        created_at=v.created_at,
    )


def _bundle_label(label: SqlLabel) -> BundleLabel:
    return BundleLabel(
        name=label.name,
        version=label.version,
        updated_at=label.updated_at,
        updated_by=label.updated_by,
    )


def _bundle_label_event(e: SqlLabelEvent) -> BundleLabelEvent:
    return BundleLabelEvent(
        label=e.label,
        from_version=e.from_version,
        to_version=e.to_version,
        actor=e.actor,
        created_at=e.created_at,
    )


def _bundle_branch(b: SqlBranch) -> BundleBranch:
    return BundleBranch(
        name=b.name,
        base=b.base,
        head=b.head,
        created_at=b.created_at,
        created_by=b.created_by,
        merged_at=b.merged_at,
    )


def export_project(core: Core, *, project_id: int) -> dict[str, Any]:
    with core.store.read() as session:
        project = session.get(SqlProject, project_id)
        assert project is not None
        prompts = (
            session.execute(
                select(SqlPrompt).where(SqlPrompt.project_id == project_id).order_by(SqlPrompt.name)
            )
            .scalars()
            .all()
        )
        out_prompts = _bundle_prompts(session, prompts)
        bundle = Bundle(
            format=FORMAT,
            format_version=1,
            project={"slug": project.slug, "name": project.name},
            exported_at=core.clock(),
            audit_checkpoint=audit_checkpoints.latest_checkpoint(core),
            prompts=out_prompts,
        )
    return bundle.model_dump(mode="json")


def _bundle_prompts(session: Session, prompts: Sequence[SqlPrompt]) -> list[BundlePrompt]:
    """Every prompt with its rows; a prompt whose stored JSON no longer validates stops
    the export, named with the others, rather than failing with an unexplained 500."""
    ids = [prompt.id for prompt in prompts]
    versions = _rows_by_prompt(session, ids, SqlVersion, SqlVersion.number)
    labels = _rows_by_prompt(session, ids, SqlLabel, SqlLabel.name)
    events = _rows_by_prompt(session, ids, SqlLabelEvent, SqlLabelEvent.id)
    branches = _rows_by_prompt(session, ids, SqlBranch, SqlBranch.id)
    out_prompts: list[BundlePrompt] = []
    unreadable: list[str] = []
    for p in prompts:
        try:
            out_prompts.append(
                _bundle_prompt(p, versions[p.id], labels[p.id], events[p.id], branches[p.id])
            )
        except ValidationError:
            unreadable.append(p.name)
    if unreadable:
        # Rows stored before today's checks (or edited in the database): name them.
        raise StoredDataUnreadable(
            f"the export stopped: {len(unreadable)} prompt(s) hold stored JSON that "
            f"cannot be exported ({', '.join(unreadable[:20])}); an operator can fix "
            "them with `promptyard db check --repair`",
            details={"prompts": unreadable},
        )
    return out_prompts


def _rows_by_prompt(
    session: Session, ids: list[int], model: Any, order: Any
) -> dict[int, list[Any]]:
    """The rows of ``model`` for each of the prompts ``ids``, in ``order``: one query."""
    out: dict[int, list[Any]] = {pid: [] for pid in ids}
    if ids:
        for row in session.execute(
            select(model).where(model.prompt_id.in_(ids)).order_by(model.prompt_id, order)
        ).scalars():
            out[row.prompt_id].append(row)
    return out


def dump_bundle(bundle: dict[str, Any], fmt: str) -> bytes:
    try:
        if fmt == "yaml":
            return yaml.safe_dump(bundle, sort_keys=False, allow_unicode=True).encode()
        return orjson.dumps(bundle, option=orjson.OPT_INDENT_2)
    except (orjson.JSONEncodeError, RecursionError):
        raise StoredDataUnreadable(
            "the export holds stored JSON that cannot be serialized; an operator can fix "
            "it with `promptyard db check --repair`"
        ) from None


def load_bundle(raw: bytes, content_type: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(raw.decode("utf-8")) if "yaml" in content_type else orjson.loads(raw)
    except RecursionError:  # the YAML parser recurses per level
        raise JsonTooDeep(too_deep_message(), details={"max_depth": MAX_JSON_DEPTH}) from None
    except (yaml.YAMLError, orjson.JSONDecodeError, UnicodeDecodeError) as exc:
        if "depth limit" in str(exc):  # orjson stops at 1024 levels
            raise JsonTooDeep(too_deep_message(), details={"max_depth": MAX_JSON_DEPTH}) from None
        raise ValidationFailed(
            f"the bundle is not valid {('YAML' if 'yaml' in content_type else 'JSON')}: {exc}",
            code="invalid_bundle",
        ) from None
    if json_depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise JsonTooDeep(too_deep_message(), details={"max_depth": MAX_JSON_DEPTH})
    if not isinstance(data, dict):
        raise ValidationFailed("the bundle must be an object", code="invalid_bundle")
    return data


def _check(core: Core, bundle: Bundle) -> None:
    seen: set[str] = set()
    for prompt in bundle.prompts:
        where = f"prompt {prompt.name!r}"
        if prompt.name in seen:
            raise ValidationFailed(f"{where} appears twice in the bundle", code="invalid_bundle")
        seen.add(prompt.name)
        try:
            prompt.folder = normalize_folder(prompt.folder)
        except ValueError as exc:
            raise ValidationFailed(f"{where}: {exc}", code="invalid_bundle") from None
        numbers = {v.number for v in prompt.versions}
        if len(numbers) != len(prompt.versions):
            raise ValidationFailed(f"{where} has duplicate version numbers", code="invalid_bundle")
        _check_versions(core, where, prompt, numbers)
        _check_references(where, prompt, numbers)


def _check_versions(core: Core, where: str, prompt: BundlePrompt, numbers: set[int]) -> None:
    """Each version's content parses, matches its hash, compiles, and has its parents."""
    for version in prompt.versions:
        try:
            version.content = parse_content(version.type, version.content)
        except ValueError as exc:
            raise ValidationFailed(
                f"{where} version {version.number}: {exc}", code="invalid_bundle"
            ) from None
        if content_hash(version.type, version.content, version.config) != version.content_hash:
            raise ValidationFailed(
                f"{where} version {version.number}: content does not match its hash "
                "(the bundle was edited or damaged)",
                code="invalid_bundle",
            )
        for field, source in template_sources(version.type, version.content):
            core.templates.analyze(source, field=f"{prompt.name}@v{version.number}.{field}")
        for parent in (version.parent, version.merge_parent):
            if parent is not None and parent not in numbers:
                raise ValidationFailed(
                    f"{where} version {version.number} names a missing parent {parent}",
                    code="invalid_bundle",
                )


def _check_references(where: str, prompt: BundlePrompt, numbers: set[int]) -> None:
    """Labels and branches are unique and point to versions of the bundle; versions are on
    listed branches; there is a ``main`` branch."""
    _unique(where, "label", [label.name for label in prompt.labels])
    _unique(where, "branch", [branch.name for branch in prompt.branches])
    branch_names = {branch.name for branch in prompt.branches}
    for version in prompt.versions:
        if version.branch not in branch_names:
            raise ValidationFailed(
                f"{where} version {version.number} is on branch {version.branch!r}, "
                "which the bundle does not list",
                code="invalid_bundle",
            )
    for branch in prompt.branches:
        for number in (branch.base, branch.head):
            if number is not None and number not in numbers:
                raise ValidationFailed(
                    f"{where}: branch {branch.name!r} points to missing version {number}",
                    code="invalid_bundle",
                )
    for label in prompt.labels:
        if label.version not in numbers:
            raise ValidationFailed(
                f"{where}: label {label.name!r} points to missing version {label.version}",
                code="invalid_bundle",
            )
    if not any(b.name == "main" for b in prompt.branches):
        raise ValidationFailed(f"{where} has no 'main' branch", code="invalid_bundle")


def _unique(where: str, kind: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValidationFailed(
                f"{where} lists the {kind} {name!r} twice", code="invalid_bundle"
            )
        seen.add(name)


def import_project(
    core: Core,
    *,
    ctx: RequestContext,
    project_id: int,
    data: dict[str, Any],
    on_conflict: Literal["fail", "skip"] = "fail",
) -> dict[str, list[str]]:
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        raise ValidationFailed(
            f"the bundle is not a Promptyard bundle: {loc}: {first['msg']}",
            code="invalid_bundle",
            details=[{"loc": list(e["loc"]), "message": e["msg"]} for e in exc.errors()[:20]],
        ) from None
    _check(core, bundle)
    try:
        created, skipped = _import(core, ctx, project_id, bundle, on_conflict)
    except IntegrityError:
        # _check covers every constraint we know of; this keeps any other one a 4xx.
        raise ValidationFailed(
            "the bundle is inconsistent (it repeats something that must be unique); "
            "nothing was imported",
            code="invalid_bundle",
        ) from None
    for name in created:
        core.cache.invalidate(prompt_key(project_id, name))
    return {"created": created, "skipped": skipped}


def _import(
    core: Core, ctx: RequestContext, project_id: int, bundle: Bundle, on_conflict: str
) -> tuple[list[str], list[str]]:
    created: list[str] = []
    skipped: list[str] = []
    with core.store.write() as session:
        existing = set(
            session.execute(
                select(SqlPrompt.name).where(
                    SqlPrompt.project_id == project_id,
                    SqlPrompt.name.in_([p.name for p in bundle.prompts]),
                )
            ).scalars()
        )
        if existing and on_conflict == "fail":
            raise AlreadyExists(
                f"{len(existing)} prompt(s) already exist here: {', '.join(sorted(existing))}; "
                "nothing was imported (use on_conflict=skip to import the others)",
                details={"existing": sorted(existing)},
            )
        for item in bundle.prompts:
            if item.name in existing:
                skipped.append(item.name)
                continue
            _write_prompt(session, project_id, item)
            created.append(item.name)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="project.import",
            object_type="project",
            object_id=str(project_id),
            summary={"created": len(created), "skipped": len(skipped)},
        )
    return created, skipped


def _write_prompt(session: Any, project_id: int, item: BundlePrompt) -> None:
    main_head = next(b.head for b in item.branches if b.name == "main")
    latest = main_head or max(v.number for v in item.versions)
    prompt = SqlPrompt(
        project_id=project_id,
        name=item.name,
        folder=item.folder,
        type=item.type,
        description=item.description,
        tags=list(item.tags),
        meta=item.metadata,
        latest_version=latest,
        next_version=max(v.number for v in item.versions) + 1,
        search_text="",
        created_at=item.created_at,
        created_by=item.created_by,
        updated_at=item.updated_at,
        updated_by=item.updated_by,
        deleted_at=item.deleted_at,
    )
    session.add(prompt)
    session.flush()
    for tag in dict.fromkeys(item.tags):
        session.add(SqlPromptTag(prompt_id=prompt.id, tag=tag))
    for v in item.versions:
        session.add(
            SqlVersion(
                prompt_id=prompt.id,
                number=v.number,
                branch=v.branch,
                type=v.type,
                content=v.content,
                config=v.config,
                variables=v.variables,
                references=v.references,
                content_hash=v.content_hash,
                parent=v.parent,
                merge_parent=v.merge_parent,
                message=v.message,
                author=v.author,
                created_at=v.created_at,
            )
        )
        if v.number == latest:
            prompt.type = v.type
            prompt.search_text = search_text(prompt, v.type, v.content)
    for label in item.labels:
        session.add(
            SqlLabel(
                prompt_id=prompt.id,
                name=label.name,
                version=label.version,
                updated_at=label.updated_at,
                updated_by=label.updated_by,
            )
        )
    for event in item.label_events:
        session.add(
            SqlLabelEvent(
                prompt_id=prompt.id,
                label=event.label,
                from_version=event.from_version,
                to_version=event.to_version,
                actor=event.actor,
                created_at=event.created_at,
            )
        )
    for branch in item.branches:
        session.add(
            SqlBranch(
                prompt_id=prompt.id,
                name=branch.name,
                base=branch.base,
                head=branch.head,
                created_at=branch.created_at,
                created_by=branch.created_by,
                merged_at=branch.merged_at,
            )
        )
    session.flush()
