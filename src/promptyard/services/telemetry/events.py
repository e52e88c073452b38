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
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson
from sqlalchemy import JSON, and_, func, or_, select

from promptyard.services.analytics import rollups
from promptyard.store.engine import Store
from promptyard.store.models import SqlFeedback, SqlGeneration, SqlSpan, UTCDateTime


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


#: A trace's page reads at most this many spans (and as many generations).
TRACE_MAX_ROWS = 10_000


@dataclass(frozen=True)
class TraceQuery:
    """Filters of ``GET /api/v1/traces``; ``None`` means any."""

    project_id: int
    user_id: str | None = None
    session_id: str | None = None
    environment: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    #: Traces strictly after this ``(start_time, trace_id)`` in the newest-first order.
    after: tuple[datetime, str] | None = None
    limit: int = 50


@dataclass
class TraceRow:
    """One trace summed up from its spans and generations."""

    trace_id: str
    start_time: datetime
    end_time: datetime | None = None
    root_name: str | None = None
    span_count: int = 0
    generation_count: int = 0
    error_count: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    currency: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    #: (has a parent, start) of the span taken as the root so far: parentless first.
    _root_rank: tuple[bool, datetime] | None = None

    def add_time(self, start: datetime, end: datetime | None) -> None:
        end = _aware(end) if end is not None else _aware(start)
        if self.end_time is None or end > self.end_time:
            self.end_time = end

    def note(self, parent: str | None, name: str, start: datetime, status: str) -> None:
        """Count an error; keep the root's name (the parentless span, else the earliest)."""
        if status == "error":
            self.error_count += 1
        rank = (parent is not None, _aware(start))
        if self._root_rank is None or rank < self._root_rank:
            self._root_rank, self.root_name = rank, name


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


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

    # -- traces (OTLP ingest) --

    def append_spans(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store span rows (``SqlSpan`` columns) in one transaction; a (trace, span) its
        project already holds is skipped, never stored twice."""

    def spans_of_trace(self, project_id: int, trace_id: str) -> list[SqlSpan]: ...

    def traces(self, query: TraceQuery) -> list[TraceRow]:
        """Traces (spans and generations by trace id) newest first by start."""

    def known_generation_ids(self, project_id: int, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` the project already holds (the OTLP path's cheap lookup)."""

    def generations_after(
        self, project_id: int, prompt: str, after_pk: int, limit: int
    ) -> list[SqlGeneration]:
        """A prompt's generations stored after row ``after_pk``, oldest first (online
        evaluation's cursor)."""

    def last_generation_pk(self, project_id: int) -> int:
        """The newest stored generation row of the project (0 when none)."""


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
            connection = session.connection()
            before = 0 if not self.store.is_sqlite else rollups.max_pk(connection)
            inserted = connection.exec_driver_sql(self._insert_sql, values).rowcount
            # the rollups of what was stored, in the same transaction (services/analytics)
            stored = rollups.inserted_rows(connection, rows, inserted, before)
            rollups.add_generations(connection, stored)

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

    def last_generation_pk(self, project_id: int) -> int:
        with self.store.read() as session:
            found = session.scalar(
                select(func.max(SqlGeneration.pk)).where(SqlGeneration.project_id == project_id)
            )
        return int(found or 0)

    def generations_after(
        self, project_id: int, prompt: str, after_pk: int, limit: int
    ) -> list[SqlGeneration]:
        g = SqlGeneration
        statement = (
            select(g)
            .where(g.project_id == project_id, g.prompt_name == prompt, g.pk > after_pk)
            .order_by(g.pk)
            .limit(limit)
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
            rollups.add_feedback(session.connection(), row)
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

    # -- traces (OTLP ingest) --

    def append_spans(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        insert = self.__dict__.get("_span_insert")
        if insert is None:
            sql, convert = _raw_insert(self.store.is_sqlite, SqlSpan)
            pick = operator.itemgetter(*(key for key, _ in convert))
            changed = [(i, _or_none(fn)) for i, (_, fn) in enumerate(convert) if fn is not _same]
            insert = self.__dict__["_span_insert"] = (sql, pick, changed)
        sql, pick, changed = insert
        values = []
        for row in rows:
            value = list(pick(row))
            for index, fn in changed:
                value[index] = fn(value[index])
            values.append(tuple(value))
        with self.store.write() as session:
            session.connection().exec_driver_sql(sql, values)

    def known_generation_ids(self, project_id: int, ids: Sequence[str]) -> set[str]:
        # Raw SQL: compiling an expanding IN of 500 parameters costs more than the query.
        found: set[str] = set()
        mark = "?" if self.store.is_sqlite else "%s"
        with self.store.read() as session:
            connection = session.connection()
            for chunk in _chunks(ids):
                sql = (
                    f"SELECT id FROM {SqlGeneration.__tablename__} WHERE project_id = {mark} "
                    f"AND id IN ({', '.join([mark] * len(chunk))})"
                )
                found.update(
                    row[0] for row in connection.exec_driver_sql(sql, (project_id, *chunk))
                )
        return found

    def spans_of_trace(self, project_id: int, trace_id: str) -> list[SqlSpan]:
        with self.store.read() as session:
            return list(
                session.scalars(
                    select(SqlSpan)
                    .where(SqlSpan.project_id == project_id, SqlSpan.trace_id == trace_id)
                    .order_by(SqlSpan.start_time, SqlSpan.pk)
                    .limit(TRACE_MAX_ROWS)
                )
            )

    def traces(self, query: TraceQuery) -> list[TraceRow]:
        s, g = SqlSpan, SqlGeneration
        span_where: list[Any] = [s.project_id == query.project_id]
        gen_where: list[Any] = [g.project_id == query.project_id, g.trace_id.is_not(None)]
        for (span_column, gen_column), value in (
            ((s.user_id, g.user_id), query.user_id),
            ((s.session_id, g.session_id), query.session_id),
            ((s.environment, g.environment), query.environment),
        ):
            if value is not None:
                span_where.append(span_column == value)
                gen_where.append(gen_column == value)
        if query.since is not None:
            span_where.append(s.start_time >= query.since)
            gen_where.append(g.start_time >= query.since)
        if query.until is not None:
            span_where.append(s.start_time < query.until)
            gen_where.append(g.start_time < query.until)
        union = (
            select(s.trace_id.label("trace_id"), s.start_time.label("start_time"))
            .where(*span_where)
            .union_all(
                select(g.trace_id.label("trace_id"), g.start_time.label("start_time")).where(
                    *gen_where
                )
            )
            .subquery()
        )
        first = func.min(union.c.start_time).label("first")
        statement = select(union.c.trace_id, first).group_by(union.c.trace_id)
        if query.after is not None:
            at, trace_id = query.after
            statement = statement.having(
                or_(first < at, and_(first == at, union.c.trace_id < trace_id))
            )
        statement = statement.order_by(first.desc(), union.c.trace_id.desc()).limit(query.limit)
        with self.store.read() as session:
            found = [(row.trace_id, row.first) for row in session.execute(statement)]
            if not found:
                return []
            ids = [trace_id for trace_id, _ in found]
            rows: dict[str, TraceRow] = {
                trace_id: TraceRow(trace_id=trace_id, start_time=_aware(at))
                for trace_id, at in found
            }
            for span in session.execute(
                select(
                    s.trace_id,
                    s.parent_span_id,
                    s.name,
                    s.start_time,
                    s.end_time,
                    s.status,
                    s.user_id,
                    s.session_id,
                ).where(s.project_id == query.project_id, s.trace_id.in_(ids))
            ):
                trace = rows[span.trace_id]
                trace.span_count += 1
                trace.add_time(span.start_time, span.end_time)
                trace.note(span.parent_span_id, span.name, span.start_time, span.status)
                trace.user_id = trace.user_id or span.user_id
                trace.session_id = trace.session_id or span.session_id
            for gen in session.execute(
                select(
                    g.trace_id,
                    g.parent_span_id,
                    g.model,
                    g.start_time,
                    g.latency_ms,
                    g.status,
                    g.input_tokens,
                    g.output_tokens,
                    g.input_cost,
                    g.output_cost,
                    g.currency,
                    g.user_id,
                    g.session_id,
                ).where(g.project_id == query.project_id, g.trace_id.in_(ids))
            ):
                trace = rows[gen.trace_id]
                trace.generation_count += 1
                end = None
                if gen.latency_ms is not None:
                    end = gen.start_time + timedelta(milliseconds=gen.latency_ms)
                trace.add_time(gen.start_time, end)
                name = gen.model or "generation"
                trace.note(gen.parent_span_id, name, gen.start_time, gen.status)
                trace.input_tokens += gen.input_tokens or 0
                trace.output_tokens += gen.output_tokens or 0
                if gen.input_cost is not None and gen.output_cost is not None:
                    trace.cost = (trace.cost or 0.0) + gen.input_cost + gen.output_cost
                    trace.currency = trace.currency or gen.currency
                trace.user_id = trace.user_id or gen.user_id
                trace.session_id = trace.session_id or gen.session_id
        return [rows[trace_id] for trace_id in ids]


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


def _or_none(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``fn`` for a nullable column: ``None`` stays ``None``."""

    def convert(value: Any) -> Any:
        return None if value is None else fn(value)

    return convert


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _raw_insert(
    sqlite: bool, model: Any = SqlGeneration
) -> tuple[str, list[tuple[str, Callable[[Any], Any]]]]:
    """One ``INSERT ... ON CONFLICT DO NOTHING`` for the driver's executemany, and how each
    row value is converted: the statement skips SQLAlchemy's per-row parameter processing,
    which costs more than the insert itself at ingest rates."""
    names: list[str] = []
    placeholders: list[str] = []
    convert: list[tuple[str, Callable[[Any], Any]]] = []
    for attribute in model.__mapper__.column_attrs:
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
        f"INSERT INTO {model.__tablename__} ({', '.join(names)}) "
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
