"""Exact vector search in memory over the stored embeddings (``version_embeddings``).

Per process and Core, one matrix per (project, model): the vectors of each live prompt's
latest version, loaded with one query and kept until the stored rows change. Whether they
changed is read at each search from two aggregates on indexed columns (embeddings: count
and newest row; prompts: count and last update); so a search is a query embedding, two
small queries and one matrix product (10,000 prompts x 384 float32: 15 MB, ~2 ms).

Exact search is documented for up to :data:`MAX_EXACT` prompts per project (150 MB at 384
dimensions); past that the newest :data:`MAX_EXACT` are searched and ``truncated`` says so.
pgvector is detected at run time on PostgreSQL (:func:`search_method` reports it); the
stored vectors are plain float32 bytes on both databases, so the exact path serves either.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select, text

from promptyard.domain.schemas import LATEST_LABEL
from promptyard.services.context import Core
from promptyard.store.models import SqlLabel, SqlPrompt, SqlVersion, SqlVersionEmbedding

#: Prompts per project that exact search is documented for.
MAX_EXACT = 100_000


@dataclass
class Matrix:
    """One project's vectors: row ``i`` is ``names[i]`` at version ``numbers[i]``."""

    names: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    matrix: Any = None
    truncated: bool = False
    #: Live prompts of the project when loaded (``live - len(self)`` wait for the job).
    live: int = 0

    def __len__(self) -> int:
        return len(self.names)

    def row(self, name: str) -> Any:
        try:
            return self.matrix[self.names.index(name)]
        except ValueError:
            return None

    def search(self, query: Any, limit: int) -> list[tuple[str, int, float]]:
        import numpy as np

        if self.matrix is None or not len(self.names):
            return []
        scores = self.matrix @ np.asarray(query, dtype=np.float32)
        if limit < len(scores):
            head = np.argpartition(-scores, limit)[:limit]
            top = head[np.argsort(-scores[head], kind="stable")]
        else:
            top = np.argsort(-scores, kind="stable")
        return [(self.names[i], self.numbers[i], float(scores[i])) for i in top]


@dataclass
class _Entry:
    stamp: tuple[Any, ...]
    value: Matrix


class _Cache:
    def __init__(self) -> None:
        self.entries: dict[tuple[int, str], _Entry] = {}
        self.lock = threading.Lock()
        self.pgvector: bool | None = None


_CACHES: dict[int, _Cache] = {}
_CACHES_LOCK = threading.Lock()


def _cache_for(core: Core) -> _Cache:
    key = id(core)
    with _CACHES_LOCK:
        cache = _CACHES.get(key)
        if cache is None:
            cache = _CACHES[key] = _Cache()
            weakref.finalize(core, _CACHES.pop, key, None)
        return cache


def _stamp(core: Core, project_id: int, model: str) -> tuple[Any, ...]:
    """What changes when the project's searchable vectors do: one statement of four
    aggregates on indexed columns."""
    mine = (SqlVersionEmbedding.project_id == project_id, SqlVersionEmbedding.model == model)
    project = SqlPrompt.project_id == project_id
    query = select(
        select(func.count()).where(*mine).scalar_subquery(),
        select(func.max(SqlVersionEmbedding.created_at)).where(*mine).scalar_subquery(),
        select(func.count()).where(project, SqlPrompt.deleted_at.is_(None)).scalar_subquery(),
        select(func.max(SqlPrompt.updated_at)).where(project).scalar_subquery(),
    )
    with core.store.read() as session:
        row = session.execute(query).one()
    return tuple(row)


def _load(core: Core, project_id: int, model: str) -> Matrix:
    import numpy as np

    query = (
        select(SqlPrompt.name, SqlVersion.number, SqlVersionEmbedding.vector)
        .join(SqlLabel, and_(SqlLabel.prompt_id == SqlPrompt.id, SqlLabel.name == LATEST_LABEL))
        .join(
            SqlVersion,
            and_(SqlVersion.prompt_id == SqlPrompt.id, SqlVersion.number == SqlLabel.version),
        )
        .join(
            SqlVersionEmbedding,
            and_(
                SqlVersionEmbedding.version_id == SqlVersion.id,
                SqlVersionEmbedding.model == model,
            ),
        )
        .where(SqlPrompt.project_id == project_id, SqlPrompt.deleted_at.is_(None))
        .order_by(SqlVersionEmbedding.created_at.desc(), SqlPrompt.name)
        .limit(MAX_EXACT + 1)
    )
    with core.store.read() as session:
        rows = list(session.execute(query))
    truncated = len(rows) > MAX_EXACT
    rows = rows[:MAX_EXACT]
    if not rows:
        return Matrix()
    width = {len(vector) for _, _, vector in rows}
    if len(width) != 1:  # a model that changed its size: keep the most common one
        size = max(width, key=lambda w: sum(len(v) == w for _, _, v in rows))
        rows = [row for row in rows if len(row[2]) == size]
    matrix = np.frombuffer(b"".join(vector for _, _, vector in rows), dtype="<f4")
    matrix = matrix.reshape(len(rows), -1).astype(np.float32)
    return Matrix([r[0] for r in rows], [int(r[1]) for r in rows], matrix, truncated)


def project_vectors(core: Core, project_id: int, model: str) -> Matrix:
    """The project's matrix for ``model``, reloaded when the stored rows changed."""
    cache = _cache_for(core)
    key = (project_id, model)
    with cache.lock:
        entry = cache.entries.get(key)
    stamp = _stamp(core, project_id, model)
    if entry is not None and entry.stamp == stamp:
        return entry.value
    value = _load(core, project_id, model)
    value.live = int(stamp[2] or 0)
    with cache.lock:
        cache.entries[key] = _Entry(stamp, value)
    return value


def pgvector_installed(core: Core) -> bool:
    """Whether the database is PostgreSQL with the ``vector`` extension created."""
    cache = _cache_for(core)
    if cache.pgvector is None:
        if core.store.dialect != "postgresql":
            cache.pgvector = False
        else:
            with core.store.read() as session:
                found = session.execute(
                    text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
                ).first()
            cache.pgvector = found is not None
    return cache.pgvector


def search_method(core: Core) -> str:
    """How vectors are searched on this server (``/semantic-search/status``)."""
    if pgvector_installed(core):
        return (
            "exact, in memory (pgvector is installed on this database; vectors are stored "
            "as float32 bytes and searched exactly here)"
        )
    return f"exact, in memory (up to {MAX_EXACT:,} prompts a project)"
