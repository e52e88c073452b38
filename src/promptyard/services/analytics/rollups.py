"""Rollups of the generation record, kept up to date in the ingest transaction.

Every batch of generations the event store appends is summed here, in Python, once per
distinct key, and written with one upsert per key in the same transaction as the raw
rows: what ingest acknowledges is counted, and counted once.

Key: project, grain, bucket start, prompt name, prompt version, model, provider,
feature, agent, environment (``""``/``0`` for none). Users and tags have many values, so
they are kept apart in ``analytics_dim_rollups`` keyed by (dimension, value, prompt name,
version, model): a month of a busy project stays a few thousand rows per dimension.
The same table holds, at hour and day grains, the small rows the common views read:
``dim = "all"`` keyed only by prompt, version and model; ``dim = "total"`` (the whole
project); ``dim`` = provider, feature, agent or environment keyed by that value alone;
and ``dim = "user_total"``, a user alone (per-user budgets, top users). A query reads
the smallest rows that answer it.

Three grains are kept: ``minute``, ``hour`` and ``day``. A query reads the coarsest
grain that answers it (``week`` sums days), so a month on a dashboard reads ~30 day
buckets per key, never minute rows or raw generations.

Per row: counts, errors, token and cost sums, cost and latency sums of squares (Welch
intervals in comparisons), and Apache DataSketches KLL sketches of latency and time to
first token (mergeable; normalised rank error ~1.3 % at k=200) and an HLL sketch of the
users (unique users; relative standard error ~1.8 % at lg_k=11, exact below ~100 users
where the sketch holds a list).

Sketches cannot be added with ``+``: on SQLite the upsert merges them itself through
two functions registered on the connection (``kll_merge``, ``hll_merge``); on PostgreSQL
the batch reads the stored sketches of the keys it touches (one join per 1,000 keys),
merges its own in and writes the result, writers of one project being serialised by a
transaction-level advisory lock (SQLite has one writer anyway).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from datasketches import hll_sketch, hll_union, kll_floats_sketch, tgt_hll_type
from sqlalchemy import Connection, delete, func, literal_column, select, text
from sqlalchemy.orm import Session

from promptyard.store.models import (
    DIM_ROLLUP_DIMENSIONS,
    ROLLUP_DIMENSIONS,
    SqlDimRollup,
    SqlFeedback,
    SqlGeneration,
    SqlRollup,
)

#: Grain name -> seconds. Every bucket starts at a multiple of its grain (UTC).
GRAINS: dict[str, int] = {"minute": 60, "hour": 3600, "day": 86400}
#: KLL accuracy parameter: normalised rank error ~1.33 % (single quantile, 99 % conf.).
SKETCH_K = 200
SKETCH_RANK_ERROR: float = kll_floats_sketch.get_normalized_rank_error(SKETCH_K, False)
#: HLL size: 2^11 buckets, relative standard error ~1.8 %.
HLL_LG_K = 11

SUMS = (
    "calls",
    "errors",
    "input_tokens",
    "output_tokens",
    "cost_calls",
    "cost",
    "cost_sq",
    "latency_count",
    "latency_sum",
    "latency_sq",
    "ttft_count",
    "ttft_sum",
)
FEEDBACK = (
    "score_count",
    "score_sum",
    "score_sq",
    "thumbs_up",
    "thumbs_down",
    "nps_promoters",
    "nps_passives",
    "nps_detractors",
)
SKETCHES = ("latency_sketch", "ttft_sketch", "users_sketch")
_COST, _COST_SQ, _COST_CALLS = SUMS.index("cost"), SUMS.index("cost_sq"), SUMS.index("cost_calls")

#: Dimensions with hour and day rows of their own in the dim table (key: the value alone).
SINGLE_DIMENSIONS = ("provider", "feature", "agent", "environment")

#: The two tables and their key columns.
MAIN, DIM = "analytics_rollups", "analytics_dim_rollups"
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    MAIN: ("project_id", "grain", "bucket", *ROLLUP_DIMENSIONS),
    DIM: ("project_id", "grain", "bucket", "dim", "value", *DIM_ROLLUP_DIMENSIONS),
}
MODELS: dict[str, Any] = {MAIN: SqlRollup, DIM: SqlDimRollup}

Key = tuple[Any, ...]

#: Rows this PostgreSQL transaction wrote (``xmin`` is its id, modulo 2^32).
_PG_THIS_TRANSACTION = literal_column("generations.xmin::text::bigint") == literal_column(
    "(txid_current() % 4294967296)"
)


def new_sketch() -> kll_floats_sketch:
    return kll_floats_sketch(SKETCH_K)


def load_sketch(blob: bytes | None) -> kll_floats_sketch | None:
    return None if blob is None else kll_floats_sketch.deserialize(bytes(blob))


def new_users() -> hll_sketch:
    return hll_sketch(HLL_LG_K, tgt_hll_type.HLL_8)


def load_users(blob: bytes | None) -> hll_sketch | None:
    return None if blob is None else hll_sketch.deserialize(bytes(blob))


@dataclass(slots=True)
class Acc:
    """The sums of one rollup key in one batch; latency, ttft and users are collected and
    sketched once per key when written."""

    sums: list[float] = field(default_factory=lambda: [0] * len(SUMS))
    latency: list[float] = field(default_factory=list)
    ttft: list[float] = field(default_factory=list)
    users: set[str] = field(default_factory=set)


Accs = dict[tuple[str, Key], Acc]


def _epoch(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def dimensions_of(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """A generation's key columns (``ROLLUP_DIMENSIONS``), ``""``/``0`` for none."""
    return tuple(
        row.get(name) or (0 if name == "prompt_version" else "") for name in ROLLUP_DIMENSIONS
    )


def cost_of(input_cost: float | None, output_cost: float | None) -> float | None:
    if input_cost is None and output_cost is None:
        return None
    return (input_cost or 0.0) + (output_cost or 0.0)


def _tags(row: Mapping[str, Any]) -> list[str]:
    return sorted({str(tag)[:200] for tag in row.get("tags") or [] if tag is not None})


#: Dimensions also summed alone (``dim`` = the name, no prompt or model in the key).
_SINGLE = tuple((name, ROLLUP_DIMENSIONS.index(name)) for name in SINGLE_DIMENSIONS)
_NO_SHORT = ("", 0, "")


def keys_of(row: Mapping[str, Any], dims: tuple[Any, ...]) -> list[tuple[str, Key, bool]]:
    """Every rollup key a generation counts in: (table, key, counts users)."""
    at = _epoch(row["start_time"])
    project = row["project_id"]
    short = dims[:3]  # prompt name, version, model
    user = row.get("user_id")
    tags = _tags(row)
    keys: list[tuple[str, Key, bool]] = []
    for grain, seconds in GRAINS.items():
        bucket = at - at % seconds
        keys.append((MAIN, (project, grain, bucket, *dims), True))
        if grain != "minute":  # minute queries are short: the main rows answer them
            keys.append((DIM, (project, grain, bucket, "all", "", *short), True))
            keys.append((DIM, (project, grain, bucket, "total", "", *_NO_SHORT), True))
            for name, index in _SINGLE:
                keys.append((DIM, (project, grain, bucket, name, dims[index], *_NO_SHORT), True))
            if user:
                value = str(user)[:200]
                keys.append((DIM, (project, grain, bucket, "user_total", value, *_NO_SHORT), False))
        if user:
            keys.append((DIM, (project, grain, bucket, "user", str(user)[:200], *short), False))
        keys.extend((DIM, (project, grain, bucket, "tag", tag, *short), True) for tag in tags)
    return keys


def aggregate(rows: Iterable[Mapping[str, Any]], accs: Accs | None = None) -> Accs:
    """Rows (``SqlGeneration`` columns) summed per rollup key."""
    accs = {} if accs is None else accs
    add = operator.add
    for row in rows:
        cost = cost_of(row.get("input_cost"), row.get("output_cost"))
        latency, ttft, user = row.get("latency_ms"), row.get("ttft_ms"), row.get("user_id")
        delta = (
            1,
            1 if row.get("status") == "error" else 0,
            row.get("input_tokens") or 0,
            row.get("output_tokens") or 0,
            0 if cost is None else 1,
            cost or 0.0,
            (cost or 0.0) ** 2,
            0 if latency is None else 1,
            latency or 0.0,
            (latency or 0.0) ** 2,
            0 if ttft is None else 1,
            ttft or 0.0,
        )
        user_text = str(user) if user else None
        for table, key, counts_users in keys_of(row, dimensions_of(row)):
            acc = accs.get((table, key))
            if acc is None:
                acc = accs[(table, key)] = Acc()
            acc.sums = list(map(add, acc.sums, delta))
            if latency is not None:
                acc.latency.append(latency)
            if ttft is not None:
                acc.ttft.append(ttft)
            if counts_users and user_text is not None:
                acc.users.add(user_text)
    return accs


# -- writing -------------------------------------------------------------------------


def _kll(values: list[float]) -> bytes | None:
    if not values:
        return None
    sketch = new_sketch()
    sketch.update(np.asarray(values, dtype=np.float32))
    return bytes(sketch.serialize())


def _hll(users: set[str]) -> bytes | None:
    if not users:
        return None
    sketch = new_users()
    for user in users:
        sketch.update(user)
    return bytes(sketch.serialize_compact())


def merge_kll(stored: bytes | None, new: bytes | None) -> bytes | None:
    """Two serialized KLL sketches as one (either may be absent)."""
    if stored is None or new is None:
        return new if stored is None else stored
    merged = kll_floats_sketch.deserialize(bytes(stored))
    merged.merge(kll_floats_sketch.deserialize(bytes(new)))
    return bytes(merged.serialize())


def merge_hll(stored: bytes | None, new: bytes | None) -> bytes | None:
    """Two serialized HLL sketches as one (either may be absent)."""
    if stored is None or new is None:
        return new if stored is None else stored
    union = hll_union(HLL_LG_K)
    union.update(hll_sketch.deserialize(bytes(stored)))
    union.update(hll_sketch.deserialize(bytes(new)))
    return bytes(union.get_result(tgt_hll_type.HLL_8).serialize_compact())


_MERGES = {"latency_sketch": "kll_merge", "ttft_sketch": "kll_merge", "users_sketch": "hll_merge"}


def _upsert_sql(table: str, sqlite: bool) -> str:
    """SQLite merges the sketches in the statement (functions registered on the
    connection); PostgreSQL gets them merged already (read under the project lock)."""
    keys = KEY_COLUMNS[table]
    columns = [*keys, *SUMS, *SKETCHES, *FEEDBACK]
    mark = "?" if sqlite else "%s"
    updates = [f"{name} = {table}.{name} + excluded.{name}" for name in SUMS]
    if sqlite:
        updates += [
            f"{name} = {_MERGES[name]}({table}.{name}, excluded.{name})" for name in SKETCHES
        ]
    else:
        updates += [f"{name} = COALESCE(excluded.{name}, {table}.{name})" for name in SKETCHES]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}"
    )


def lock_projects(connection: Connection, project_ids: Iterable[int]) -> None:
    """Serialise rollup writers of these projects (PostgreSQL; SQLite has one writer)."""
    if connection.dialect.name != "postgresql":
        return
    for project_id in sorted(set(project_ids)):
        connection.exec_driver_sql(
            "SELECT pg_advisory_xact_lock(%s, %s)", (0x5059524C, int(project_id))
        )


def _register_sqlite_functions(connection: Connection) -> None:
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.create_function("kll_merge", 2, merge_kll, deterministic=True)
    raw.create_function("hll_merge", 2, merge_hll, deterministic=True)


def _stored_sketches(
    connection: Connection, table: str, keys: Sequence[Key]
) -> dict[Key, tuple[Any, ...]]:
    """PostgreSQL: the stored sketches of these keys (one join with a VALUES list per
    1,000 keys)."""
    names = KEY_COLUMNS[table]
    found: dict[Key, tuple[Any, ...]] = {}
    row_mark = "(" + ", ".join(["%s"] * len(names)) + ")"
    on = " AND ".join(f"t.{name} = v.{name}" for name in names)
    picked = ", ".join(f"t.{name}" for name in (*names, *SKETCHES))
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        sql = (
            f"SELECT {picked} FROM {table} t JOIN (VALUES {', '.join([row_mark] * len(chunk))}) "
            f"AS v({', '.join(names)}) ON {on}"
        )
        params = [value for key in chunk for value in key]
        for row in connection.exec_driver_sql(sql, tuple(params)):
            found[tuple(row[: len(names)])] = tuple(row[len(names) :])
    return found


def write(connection: Connection, accs: Accs) -> None:
    """Add a batch's sums to the stored rollups: one upsert per key (the caller holds
    :func:`lock_projects`)."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _register_sqlite_functions(connection)
    zeros = [0] * len(FEEDBACK)
    for table in (MAIN, DIM):
        values = []
        for (name, key), acc in accs.items():
            if name != table:
                continue
            values.append(
                (*key, *acc.sums, _kll(acc.latency), _kll(acc.ttft), _hll(acc.users), *zeros)
            )
        if not values:
            continue
        if not sqlite:
            width = len(KEY_COLUMNS[table])
            with_sketch = [
                v[:width] for v in values if any(v[width + len(SUMS) + i] for i in range(3))
            ]
            stored = _stored_sketches(connection, table, with_sketch) if with_sketch else {}
            if stored:
                first = width + len(SUMS)
                merged = []
                for v in values:
                    old = stored.get(v[:width])
                    if old is not None:
                        v = (
                            *v[:first],
                            merge_kll(old[0], v[first]),
                            merge_kll(old[1], v[first + 1]),
                            merge_hll(old[2], v[first + 2]),
                            *v[first + 3 :],
                        )
                    merged.append(v)
                values = merged
        connection.exec_driver_sql(_upsert_sql(table, sqlite), values)


def add_generations(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Count rows just inserted in this transaction (the event store's hook)."""
    if not rows:
        return
    lock_projects(connection, (row["project_id"] for row in rows))
    write(connection, aggregate(rows))


def max_pk(connection: Connection) -> int:
    """The highest generation primary key (taken before an insert, for
    :func:`inserted_rows` on SQLite)."""
    # a bare max() of the primary key: one index probe on SQLite and PostgreSQL
    return int(connection.scalar(select(func.max(SqlGeneration.pk))) or 0)


def inserted_rows(
    connection: Connection,
    rows: Sequence[Mapping[str, Any]],
    inserted: int,
    max_pk_before: int,
) -> Sequence[Mapping[str, Any]]:
    """The rows of a batch that its ``INSERT ... ON CONFLICT DO NOTHING`` stored.

    ``inserted`` is the statement's row count: when it is the batch size every row was
    stored. Otherwise a duplicate was skipped (a race between two batches, an id twice in
    one batch, a repeated external id): rows are matched by id to those this transaction
    wrote (SQLite: a primary key above ``max_pk_before``, the write lock being held;
    PostgreSQL: ``xmin`` is this transaction), the first of a repeated id being the one
    stored.
    """
    if inserted == len(rows):
        return rows
    ours: set[tuple[int, str]] = set()
    by_project: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        by_project[row["project_id"]].append(row["id"])
    g = SqlGeneration
    postgres = connection.dialect.name == "postgresql"
    for project_id, ids in by_project.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            statement = select(g.id).where(g.project_id == project_id, g.id.in_(chunk))
            if postgres:
                statement = statement.where(_PG_THIS_TRANSACTION)
            else:
                statement = statement.where(g.pk > max_pk_before)
            ours.update((project_id, found) for found in connection.scalars(statement))
    kept = []
    for row in rows:
        key = (row["project_id"], row["id"])
        if key in ours:
            ours.discard(key)
            kept.append(row)
    return kept


# -- feedback --------------------------------------------------------------------------


def feedback_delta(kind: str, value: float | None, scale: str | None) -> dict[str, float]:
    """What one feedback adds to the rollups' feedback columns (scores normalised to 0..1,
    thumbs up/down, NPS promoters 9-10 / passives 7-8 / detractors 0-6)."""
    if value is None:
        return {}
    if kind == "thumbs":
        return {"thumbs_up": 1} if value >= 1 else {"thumbs_down": 1}
    if kind == "nps":
        if value >= 9:
            return {"nps_promoters": 1}
        return {"nps_passives": 1} if value >= 7 else {"nps_detractors": 1}
    if kind == "score":
        score = (value - 1.0) / 4.0 if scale == "1-5" else float(value)
        return {"score_count": 1, "score_sum": score, "score_sq": score * score}
    return {}


_GENERATION_KEY = (*ROLLUP_DIMENSIONS, "user_id", "start_time", "tags", "project_id")


def add_feedback(connection: Connection, row: Mapping[str, Any]) -> None:
    """Add one feedback on a generation to that generation's rollups (the event store's
    hook; feedback on a trace or session alone is not in rollups)."""
    if row.get("generation_id") is None:
        return
    delta = feedback_delta(row.get("kind", ""), row.get("value"), row.get("scale"))
    if not delta:
        return
    g = SqlGeneration
    found = connection.execute(
        select(*(getattr(g, name) for name in _GENERATION_KEY)).where(
            g.project_id == row["project_id"], g.id == row["generation_id"]
        )
    ).first()
    if found is None:
        return
    generation = dict(zip(_GENERATION_KEY, found, strict=True))
    sets = ", ".join(f"{name} = {name} + :{name}" for name in delta)
    for table, key, _ in keys_of(generation, dimensions_of(generation)):
        where = " AND ".join(f"{name} = :k{i}" for i, name in enumerate(KEY_COLUMNS[table]))
        params: dict[str, Any] = dict(delta)
        params.update({f"k{i}": value for i, value in enumerate(key)})
        connection.execute(text(f"UPDATE {table} SET {sets} WHERE {where}"), params)


# -- cost recomputation ---------------------------------------------------------------


def adjust_costs(connection: Connection, changes: Mapping[int, float | None]) -> None:
    """Before generations' costs change (``pk -> new cost``), move the rollups' cost sums
    from the old costs to the new ones, in the same transaction."""
    if not changes:
        return
    g = SqlGeneration
    pks = list(changes)
    columns = [g.pk, g.input_cost, g.output_cost, *(getattr(g, n) for n in _GENERATION_KEY)]
    rows: list[dict[str, Any]] = []
    for start in range(0, len(pks), 500):
        chunk = pks[start : start + 500]
        rows.extend(
            dict(found._mapping)
            for found in connection.execute(select(*columns).where(g.pk.in_(chunk)))
        )
    lock_projects(connection, (row["project_id"] for row in rows))
    accs: Accs = {}
    for row in rows:
        old = cost_of(row["input_cost"], row["output_cost"])
        new = changes[row["pk"]]
        for table, key, _ in keys_of(row, dimensions_of(row)):
            acc = accs.setdefault((table, key), Acc())
            acc.sums[_COST_CALLS] += (new is not None) - (old is not None)
            acc.sums[_COST] += (new or 0.0) - (old or 0.0)
            acc.sums[_COST_SQ] += (new or 0.0) ** 2 - (old or 0.0) ** 2
    write(connection, accs)


# -- rebuild (repair) -------------------------------------------------------------------

REBUILD_CHUNK = 20_000
_RAW_COLUMNS = (
    "project_id",
    "start_time",
    "status",
    "input_tokens",
    "output_tokens",
    "input_cost",
    "output_cost",
    "latency_ms",
    "ttft_ms",
    "tags",
    "user_id",
    *ROLLUP_DIMENSIONS,
)


def _raw_chunks(session: Session, project_id: int | None) -> Iterator[list[dict[str, Any]]]:
    g = SqlGeneration
    columns = [g.pk, *(getattr(g, name) for name in _RAW_COLUMNS)]
    after = 0
    while True:
        statement = select(*columns).where(g.pk > after).order_by(g.pk).limit(REBUILD_CHUNK)
        if project_id is not None:
            statement = statement.where(g.project_id == project_id)
        chunk = [dict(row._mapping) for row in session.execute(statement)]
        if not chunk:
            return
        after = chunk[-1]["pk"]
        yield chunk


def rebuild(session: Session, project_id: int | None = None) -> int:
    """Recompute the rollups (one project's, or all) from the raw generations and their
    feedback, in the caller's write transaction; how many generations were counted."""
    connection = session.connection()
    if project_id is not None:
        lock_projects(connection, [project_id])
    for model in (SqlRollup, SqlDimRollup):
        wipe = delete(model)
        if project_id is not None:
            wipe = wipe.where(model.project_id == project_id)
        session.execute(wipe)
    counted = 0
    for chunk in _raw_chunks(session, project_id):
        write(connection, aggregate(chunk))
        counted += len(chunk)
    f = SqlFeedback
    statement = select(f.project_id, f.generation_id, f.kind, f.value, f.scale).where(
        f.generation_id.is_not(None)
    )
    if project_id is not None:
        statement = statement.where(f.project_id == project_id)
    for found in session.execute(statement).all():
        add_feedback(connection, dict(found._mapping))
    return counted
