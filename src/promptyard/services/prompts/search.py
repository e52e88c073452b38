"""Listing and searching prompts (full text, tags, folders, labels, metadata), folders and tags."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, text

from promptyard.domain.schemas import (
    ListQuery,
    PromptsPublic,
)
from promptyard.services.context import Core
from promptyard.services.prompts.lookup import (
    project_slug,
)
from promptyard.services.prompts.presenters import prompt_public
from promptyard.store.models import (
    SqlLabel,
    SqlPrompt,
    SqlPromptTag,
)

_WORD = re.compile(r"\w+", re.UNICODE)


def _search_condition(core: Core, q: str) -> Any:
    words = _WORD.findall(q.lower())[:16]
    if not words:
        return None
    if core.store.is_sqlite:
        match = " ".join(f'"{word}"*' for word in words)
        return SqlPrompt.id.in_(
            select(text("rowid"))
            .select_from(text("prompts_fts"))
            .where(text("prompts_fts MATCH :fts_query").bindparams(fts_query=match))
        )
    query = " & ".join(f"{word}:*" for word in words)
    return text(
        "to_tsvector('simple', prompts.search_text) @@ to_tsquery('simple', :ts_query)"
    ).bindparams(ts_query=query)


def _filtered(core: Core, query: Select[Any], project_id: int, q: ListQuery) -> Select[Any]:
    query = query.where(SqlPrompt.project_id == project_id)
    if q.deleted == "exclude":
        query = query.where(SqlPrompt.deleted_at.is_(None))
    elif q.deleted == "only":
        query = query.where(SqlPrompt.deleted_at.is_not(None))
    if q.q:
        condition = _search_condition(core, q.q)
        if condition is not None:
            query = query.where(condition)
    for tag in q.tags:
        query = query.where(
            SqlPrompt.id.in_(select(SqlPromptTag.prompt_id).where(SqlPromptTag.tag == tag))
        )
    if q.folder:
        folder = q.folder.strip("/")
        query = query.where(
            or_(
                SqlPrompt.folder == folder,
                SqlPrompt.folder.startswith(folder + "/", autoescape=True),
            )
        )
    if q.label:
        query = query.where(
            SqlPrompt.id.in_(select(SqlLabel.prompt_id).where(SqlLabel.name == q.label))
        )
    if q.author:
        # A prefix, ignoring case ("ada" finds ada@example.com), the same on both databases.
        author = func.lower(SqlPrompt.updated_by)
        query = query.where(author.startswith(q.author.lower(), autoescape=True))
    if q.type:
        query = query.where(SqlPrompt.type == q.type)
    if q.updated_after:
        query = query.where(SqlPrompt.updated_at >= q.updated_after)
    if q.updated_before:
        query = query.where(SqlPrompt.updated_at <= q.updated_before)
    for key, value in q.metadata.items():
        query = query.where(_metadata_equals(core, key, value))
    return query


def _metadata_equals(core: Core, key: str, value: str) -> Any:
    """``meta.<key>=<value>``: equal as text, or as the JSON number/boolean/null it spells."""
    if not core.store.is_sqlite:
        # ->> gives the JSON value as text: "3", "true", "growth"; null gives SQL NULL.
        text_value = SqlPrompt.meta[key].as_string()
        return text_value.is_(None) if value == "null" else text_value == value
    path = '$."' + key.replace('"', '""') + '"'
    extracted = func.json_extract(SqlPrompt.meta, path)
    json_type = func.json_type(SqlPrompt.meta, path)
    conditions = [and_(json_type == "text", extracted == value)]
    if value in ("true", "false"):
        conditions.append(json_type == value)
    elif value == "null":
        conditions.append(json_type == "null")
    else:
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is not None:
            conditions.append(and_(json_type.in_(["integer", "real"]), extracted == number))
    return or_(*conditions)


_SORTS: dict[str, Any] = {
    "name": SqlPrompt.name.asc(),
    "-name": SqlPrompt.name.desc(),
    "updated_at": SqlPrompt.updated_at.asc(),
    "-updated_at": SqlPrompt.updated_at.desc(),
    "created_at": SqlPrompt.created_at.asc(),
    "-created_at": SqlPrompt.created_at.desc(),
}


def list_prompts(core: Core, *, project_id: int, query: ListQuery) -> PromptsPublic:
    with core.store.read() as session:
        total = session.execute(
            _filtered(core, select(func.count(SqlPrompt.id)), project_id, query)
        ).scalar_one()
        rows = (
            session.execute(
                _filtered(core, select(SqlPrompt), project_id, query)
                .order_by(_SORTS[query.sort], SqlPrompt.id)
                .limit(query.limit)
                .offset(query.offset)
            )
            .scalars()
            .all()
        )
        labels: dict[int, dict[str, int]] = {row.id: {} for row in rows}
        if rows:
            for prompt_id, label, number in session.execute(
                select(SqlLabel.prompt_id, SqlLabel.name, SqlLabel.version)
                .where(SqlLabel.prompt_id.in_(list(labels)))
                .order_by(SqlLabel.name)
            ):
                labels[prompt_id][label] = number
        slug = project_slug(core, session, project_id)
        items = [prompt_public(row, slug, labels[row.id]) for row in rows]
    return PromptsPublic(items=items, total=int(total), limit=query.limit, offset=query.offset)


def list_folders(core: Core, *, project_id: int) -> list[dict[str, Any]]:
    with core.store.read() as session:
        rows = session.execute(
            select(SqlPrompt.folder, func.count())
            .where(SqlPrompt.project_id == project_id, SqlPrompt.deleted_at.is_(None))
            .group_by(SqlPrompt.folder)
            .order_by(SqlPrompt.folder)
        ).all()
    return [{"path": folder, "count": int(count)} for folder, count in rows]


def list_tags(core: Core, *, project_id: int) -> list[dict[str, Any]]:
    with core.store.read() as session:
        rows = session.execute(
            select(SqlPromptTag.tag, func.count())
            .join(SqlPrompt, SqlPrompt.id == SqlPromptTag.prompt_id)
            .where(SqlPrompt.project_id == project_id, SqlPrompt.deleted_at.is_(None))
            .group_by(SqlPromptTag.tag)
            .order_by(SqlPromptTag.tag)
        ).all()
    return [{"name": tag, "count": int(count)} for tag, count in rows]
