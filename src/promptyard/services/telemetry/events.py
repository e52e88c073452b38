"""The event store: where generations and feedback are appended and read back.

One interface (:class:`EventStore`), one implementation today (:class:`SqlEventStore`,
the server's own database: SQLite or PostgreSQL). Everything that records or reads
generations goes through it, so a column store (ClickHouse, DuckDB) can take its place
for large installations without touching ingest, analytics or the API.

An append is one transaction, committed before it returns: what the caller acknowledges
is durable (SQLite's WAL survives a killed process; PostgreSQL commits to its WAL).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from sqlalchemy import JSON, and_, func, or_, select

from promptyard.store.engine import Store
from promptyard.store.models import SqlFeedback, SqlGeneration, UTCDateTime


@dataclass(frozen=True)
class GenerationQuery:
    """Filters of ``GET /api/v1/generations``; ``None`` means any."""

    project_id: int
    prompt: str | None = None
    version: int | None = None
    model: str | None = None
    provider: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    feature: str | None = None
    agent: str | None = None
    environment: str | None = None
    status: str | None = None
    trace_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    #: Rows strictly after this ``(start_time, pk)`` in the newest-first order.
    after: tuple[datetime, int] | None = None
    limit: int = 50


@dataclass(frozen=True)
class FeedbackQuery:
    project_id: int
    generation_id: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_id: int | None = None
    limit: int = 50


class EventStore(Protocol):
    def existing_ids(
        self, project_id: int, ids: Sequence[str], external_ids: Sequence[str]
    ) -> tuple[set[str], set[str]]:
        """Which of ``ids`` and ``external_ids`` the project already holds."""

    def append_generations(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store rows (``SqlGeneration`` columns); a row whose id or external id its
        project already holds is skipped, never stored twice."""

    def generations(self, query: GenerationQuery) -> list[SqlGeneration]: ...

    def generation(self, project_id: int, generation_id: str) -> SqlGeneration | None: ...

    def append_feedback(self, row: dict[str, Any]) -> SqlFeedback: ...

    def feedback(self, query: FeedbackQuery) -> list[SqlFeedback]: ...

    def feedback_for(self, project_id: int, generation_ids: Iterable[str]) -> list[SqlFeedback]: ...


class SqlEventStore:
    """Generations and feedback in the server's own database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._insert_sql, convert = _raw_insert(store.is_sqlite)
        # a row's values in column order (one C call), then the few that need converting
        self._pick = operator.itemgetter(*(key for key, _ in convert))
        self._converted = [(i, fn) for i, (_, fn) in enumerate(convert) if fn is not _same]

    def existing_ids(
        self, project_id: int, ids: Sequence[str], external_ids: Sequence[str]
    ) -> tuple[set[str], set[str]]:
        found_ids: set[str] = set()
        found_external: set[str] = set()
        with self.store.read() as session:
            for chunk in _chunks(ids):
                found_ids.update(
                    session.scalars(
                        select(SqlGeneration.id).where(
                            SqlGeneration.project_id == project_id, SqlGeneration.id.in_(chunk)
                        )
                    )
                )
            for chunk in _chunks(external_ids):
                found_external.update(
                    value
                    for value in session.scalars(
                        select(SqlGeneration.external_id).where(
                            SqlGeneration.project_id == project_id,
                            SqlGeneration.external_id.in_(chunk),
                        )
                    )
                    if value is not None
                )
        return found_ids, found_external

    def append_generations(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        pick, converted = self._pick, self._converted
        values = []
        for row in rows:
            value = list(pick(row))
            for index, fn in converted:
                value[index] = fn(value[index])
            values.append(tuple(value))
        with self.store.write() as session:
            session.connection().exec_driver_sql(self._insert_sql, values)

    def generations(self, query: GenerationQuery) -> list[SqlGeneration]:
        g = SqlGeneration
        conditions: list[Any] = [g.project_id == query.project_id]
        for column, value in (
            (g.prompt_name, query.prompt),
            (g.prompt_version, query.version),
            (g.model, query.model),
            (g.provider, query.provider),
            (g.user_id, query.user_id),
            (g.session_id, query.session_id),
            (g.feature, query.feature),
            (g.agent, query.agent),
            (g.environment, query.environment),
            (g.status, query.status),
            (g.trace_id, query.trace_id),
        ):
            if value is not None:
                conditions.append(column == value)
        if query.since is not None:
            conditions.append(g.start_time >= query.since)
        if query.until is not None:
            conditions.append(g.start_time < query.until)
        if query.text:
            pattern = (
                "%" + query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            conditions.append(
                or_(
                    func.lower(g.input_text).like(pattern.lower(), escape="\\"),
                    func.lower(g.output_text).like(pattern.lower(), escape="\\"),
                )
            )
        if query.after is not None:
            at, pk = query.after
            conditions.append(or_(g.start_time < at, and_(g.start_time == at, g.pk < pk)))
        statement = (
            select(g)
            .where(*conditions)
            .order_by(g.start_time.desc(), g.pk.desc())
            .limit(query.limit)
        )
        with self.store.read() as session:
            return list(session.scalars(statement))

    def generation(self, project_id: int, generation_id: str) -> SqlGeneration | None:
        with self.store.read() as session:
            return session.scalar(
                select(SqlGeneration).where(
                    SqlGeneration.project_id == project_id, SqlGeneration.id == generation_id
                )
            )

    def append_feedback(self, row: dict[str, Any]) -> SqlFeedback:
        with self.store.write() as session:
            feedback = SqlFeedback(**row)
            session.add(feedback)
            session.flush()
            return feedback

    def feedback(self, query: FeedbackQuery) -> list[SqlFeedback]:
        f = SqlFeedback
        conditions: list[Any] = [f.project_id == query.project_id]
        if query.generation_id is not None:
            conditions.append(f.generation_id == query.generation_id)
        if query.kind is not None:
            conditions.append(f.kind == query.kind)
        if query.since is not None:
            conditions.append(f.created_at >= query.since)
        if query.until is not None:
            conditions.append(f.created_at < query.until)
        if query.after_id is not None:
            conditions.append(f.id < query.after_id)
        statement = select(f).where(*conditions).order_by(f.id.desc()).limit(query.limit)
        with self.store.read() as session:
            return list(session.scalars(statement))

    def feedback_for(self, project_id: int, generation_ids: Iterable[str]) -> list[SqlFeedback]:
        ids = list(generation_ids)
        if not ids:
            return []
        with self.store.read() as session:
            return list(
                session.scalars(
                    select(SqlFeedback)
                    .where(SqlFeedback.project_id == project_id, SqlFeedback.generation_id.in_(ids))
                    .order_by(SqlFeedback.id)
                )
            )


#: How SQLAlchemy stores a datetime in SQLite (``sqlite.DATETIME``'s storage format):
#: rows written here compare and read back exactly like rows written through the ORM.
_SQLITE_TIME = "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}.{:06d}"


def _sqlite_time(value: datetime) -> str:
    value = value.astimezone(UTC) if value.tzinfo is not None else value
    return _SQLITE_TIME.format(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def _same(value: Any) -> Any:
    return value


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _raw_insert(sqlite: bool) -> tuple[str, list[tuple[str, Callable[[Any], Any]]]]:
    """One ``INSERT ... ON CONFLICT DO NOTHING`` for the driver's executemany, and how each
    row value is converted: the statement skips SQLAlchemy's per-row parameter processing,
    which costs more than the insert itself at ingest rates."""
    names: list[str] = []
    placeholders: list[str] = []
    convert: list[tuple[str, Callable[[Any], Any]]] = []
    for attribute in SqlGeneration.__mapper__.column_attrs:
        column = attribute.columns[0]
        if column.primary_key:
            continue
        names.append(f'"{column.name}"')
        if isinstance(column.type, UTCDateTime):
            convert.append((attribute.key, _sqlite_time if sqlite else _same))
            placeholders.append("?" if sqlite else "%s")
        elif column.type._type_affinity is JSON:  # JSON, JSONB on PostgreSQL
            convert.append((attribute.key, _json))
            placeholders.append("?" if sqlite else "%s::jsonb")
        else:
            convert.append((attribute.key, _same))
            placeholders.append("?" if sqlite else "%s")
    sql = (
        f"INSERT INTO {SqlGeneration.__tablename__} ({', '.join(names)}) "
        f"VALUES ({', '.join(placeholders)}) ON CONFLICT DO NOTHING"
    )
    return sql, convert


def _chunks(values: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def event_store(core: Any) -> EventStore:
    """The Core's event store (the SQL one unless wiring installed another)."""
    if core.events is None:
        core.events = SqlEventStore(core.store)
    events: EventStore = core.events
    return events
