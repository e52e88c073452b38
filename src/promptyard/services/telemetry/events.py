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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson
from sqlalchemy import JSON, Connection, and_, func, literal_column, or_, select

from promptyard.services.analytics import rollups
from promptyard.store.engine import Store
from promptyard.store.models import (
    SqlFeedback,
    SqlGeneration,
    SqlSpan,
    SqlTraceSummary,
    UTCDateTime,
)


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
    """One trace summed up from its spans and generations (``trace_summaries``)."""

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
            # before the insert: the rollup writer reads a project's keys in insert order
            rollups.lock_projects(connection, {row["project_id"] for row in rows})
            before = rollups.max_pk(connection)
            inserted = connection.exec_driver_sql(self._insert_sql, values).rowcount
            # what the rollups will count, noted in the same transaction (services/analytics)
            stored = rollups.inserted_rows(connection, rows, inserted, before)
            rollups.add_generations(connection, stored, before)
            self._add_summaries(connection, [], [row for row in stored if row.get("trace_id")])

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
            connection = session.connection()
            before = 0 if not self.store.is_sqlite else _max_span_pk(connection)
            inserted = connection.exec_driver_sql(sql, values).rowcount
            stored = rows if inserted == len(rows) else _stored_spans(connection, rows, before)
            self._add_summaries(connection, stored, [])

    def _add_summaries(
        self,
        connection: Connection,
        spans: Sequence[dict[str, Any]],
        generations: Sequence[Mapping[str, Any]],
    ) -> None:
        """Add stored spans and generations to their traces' summaries (same
        transaction): one upsert per trace of the batch."""
        if not spans and not generations:
            return
        summaries = summarize(spans, generations)
        sqlite = self.store.is_sqlite
        time = _sqlite_time if sqlite else _same
        values = []
        for row in summaries.values():
            values.append(
                tuple(
                    time(row[name])
                    if name in _SUMMARY_TIMES and row[name] is not None
                    else row[name]
                    for name in _SUMMARY_COLUMNS
                )
            )
        connection.exec_driver_sql(_summary_upsert(sqlite), values)

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
        t = SqlTraceSummary
        where: list[Any] = [t.project_id == query.project_id]
        for column, value in (
            (t.user_id, query.user_id),
            (t.session_id, query.session_id),
            (t.environment, query.environment),
        ):
            if value is not None:
                where.append(column == value)
        if query.since is not None:
            where.append(t.start_time >= query.since)
        if query.until is not None:
            where.append(t.start_time < query.until)
        if query.after is not None:
            at, trace_id = query.after
            where.append(or_(t.start_time < at, and_(t.start_time == at, t.trace_id < trace_id)))
        statement = (
            select(t).where(*where).order_by(t.start_time.desc(), t.trace_id.desc())
        ).limit(query.limit)
        with self.store.read() as session:
            return [
                TraceRow(
                    trace_id=row.trace_id,
                    start_time=_aware(row.start_time),
                    end_time=None if row.end_time is None else _aware(row.end_time),
                    root_name=row.root_name,
                    span_count=row.span_count,
                    generation_count=row.generation_count,
                    error_count=row.error_count,
                    input_tokens=row.input_tokens,
                    output_tokens=row.output_tokens,
                    cost=row.cost,
                    currency=row.currency,
                    user_id=row.user_id,
                    session_id=row.session_id,
                )
                for row in session.scalars(statement)
            ]


# -- trace summaries ----------------------------------------------------------------

_SUMMARY_COLUMNS = tuple(attribute.key for attribute in SqlTraceSummary.__mapper__.column_attrs)
_SUMMARY_TIMES = ("start_time", "end_time", "root_start")


def summarize(
    spans: Iterable[Mapping[str, Any]], generations: Iterable[Mapping[str, Any]]
) -> dict[tuple[int, str], dict[str, Any]]:
    """Spans and generations (with a trace id) summed up per (project, trace): the
    columns of ``trace_summaries``. The root is the parentless node, else the earliest;
    user, session and environment are the first ones seen."""
    traces: dict[tuple[int, str], dict[str, Any]] = {}

    def add(
        row: Mapping[str, Any], start: datetime, end: datetime | None, name: str
    ) -> dict[str, Any]:
        key = (row["project_id"], row["trace_id"])
        start = _aware(start)
        end = start if end is None else _aware(end)
        parent = row.get("parent_span_id") is not None
        found = traces.get(key)
        if found is None:
            found = traces[key] = {
                "project_id": key[0],
                "trace_id": key[1],
                "start_time": start,
                "end_time": end,
                "root_name": name,
                "root_has_parent": parent,
                "root_start": start,
                "span_count": 0,
                "generation_count": 0,
                "error_count": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "cost": None,
                "currency": None,
                "user_id": row.get("user_id"),
                "session_id": row.get("session_id"),
                "environment": row.get("environment"),
            }
        else:
            if start < found["start_time"]:
                found["start_time"] = start
            if end > found["end_time"]:
                found["end_time"] = end
            if (parent, start) < (found["root_has_parent"], found["root_start"]):
                found["root_name"], found["root_has_parent"], found["root_start"] = (
                    name,
                    parent,
                    start,
                )
            for name_ in ("user_id", "session_id", "environment"):
                if found[name_] is None:
                    found[name_] = row.get(name_)
        if row.get("status") == "error":
            found["error_count"] += 1
        return found

    for span in spans:
        add(span, span["start_time"], span.get("end_time"), span["name"])["span_count"] += 1
    for gen in generations:
        latency = gen.get("latency_ms")
        end = None if latency is None else gen["start_time"] + timedelta(milliseconds=latency)
        found = add(gen, gen["start_time"], end, gen.get("model") or "generation")
        found["generation_count"] += 1
        found["input_tokens"] += gen.get("input_tokens") or 0
        found["output_tokens"] += gen.get("output_tokens") or 0
        input_cost, output_cost = gen.get("input_cost"), gen.get("output_cost")
        if input_cost is not None and output_cost is not None:
            found["cost"] = (found["cost"] or 0.0) + input_cost + output_cost
            found["currency"] = found["currency"] or gen.get("currency")
    for found in traces.values():
        for name in ("root_name", "user_id", "session_id", "environment"):
            if found[name] is not None:
                found[name] = str(found[name])[: 400 if name == "root_name" else 200]
    return traces


def _summary_upsert(sqlite: bool) -> str:
    """Merge a batch's summary of a trace into the stored one (SQLite and PostgreSQL)."""
    t, x = "trace_summaries", "excluded"
    mark = "?" if sqlite else "%s"
    least, greatest = ("min", "max") if sqlite else ("LEAST", "GREATEST")
    better = (
        f"({x}.root_has_parent < {t}.root_has_parent OR ({x}.root_has_parent = "
        f"{t}.root_has_parent AND {x}.root_start < {t}.root_start))"
    )
    sets = [
        f"start_time = {least}({t}.start_time, {x}.start_time)",
        f"end_time = {greatest}(COALESCE({t}.end_time, {x}.end_time), "
        f"COALESCE({x}.end_time, {t}.end_time))",
        *(
            f"{name} = CASE WHEN {better} THEN {x}.{name} ELSE {t}.{name} END"
            for name in ("root_name", "root_has_parent", "root_start")
        ),
        *(
            f"{name} = {t}.{name} + {x}.{name}"
            for name in (
                "span_count",
                "generation_count",
                "error_count",
                "input_tokens",
                "output_tokens",
            )
        ),
        f"cost = CASE WHEN {t}.cost IS NULL AND {x}.cost IS NULL THEN NULL "
        f"ELSE COALESCE({t}.cost, 0) + COALESCE({x}.cost, 0) END",
        *(
            f"{name} = COALESCE({t}.{name}, {x}.{name})"
            for name in ("currency", "user_id", "session_id", "environment")
        ),
    ]
    return (
        f"INSERT INTO {t} ({', '.join(_SUMMARY_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(_SUMMARY_COLUMNS))}) "
        f"ON CONFLICT (project_id, trace_id) DO UPDATE SET {', '.join(sets)}"
    )


def _max_span_pk(connection: Connection) -> int:
    return int(connection.scalar(select(func.max(SqlSpan.pk))) or 0)


def _stored_spans(
    connection: Connection, rows: Sequence[dict[str, Any]], max_pk_before: int
) -> list[dict[str, Any]]:
    """The span rows of a batch that its ``INSERT ... ON CONFLICT DO NOTHING`` stored
    (SQLite: a primary key above ``max_pk_before``, the write lock being held;
    PostgreSQL: rows this transaction wrote), the first of a repeated span id."""
    s = SqlSpan
    ours: set[tuple[int, str, str]] = set()
    traces: dict[int, set[str]] = {}
    for row in rows:
        traces.setdefault(row["project_id"], set()).add(row["trace_id"])
    for project_id, ids in traces.items():
        listed = sorted(ids)
        for start in range(0, len(listed), 500):
            statement = select(s.trace_id, s.span_id).where(
                s.project_id == project_id, s.trace_id.in_(listed[start : start + 500])
            )
            if connection.dialect.name == "postgresql":
                statement = statement.where(
                    literal_column("spans.xmin::text::bigint")
                    == literal_column("(txid_current() % 4294967296)")
                )
            else:
                statement = statement.where(s.pk > max_pk_before)
            ours.update((project_id, *found) for found in connection.execute(statement))
    kept = []
    for row in rows:
        key = (row["project_id"], row["trace_id"], row["span_id"])
        if key in ours:
            ours.discard(key)
            kept.append(row)
    return kept


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
