"""Rollups of the generation record, counted just after ingest.

Ingest stores the raw rows and notes, in the same transaction, the highest generation key
it stored (``analytics_rollup_marks.stored_pk``); the rollup writer (:func:`roll_up`: the
``analytics_rollups`` background job, every second, and every query that reads rollups,
first) sums the project's generations past its mark (``rolled_pk``) in Python, once per
distinct key, writes one upsert per key and moves the mark, in one transaction: every
stored generation is counted exactly once, and a query always sees all of them. Counting
a second of traffic at once instead of each batch apart merges the keys the batches
share (a user's rows, the hour and day rows), and ingest acknowledges at the speed of
its raw insert (docs/analytics.md, "When rollups are written").

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

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from datasketches import hll_sketch, hll_union, kll_floats_sketch, tgt_hll_type
from sqlalchemy import Connection, delete, func, literal_column, select, update
from sqlalchemy.orm import Session

from promptyard.services.analytics import experiment_rollups
from promptyard.services.context import Core
from promptyard.store.models import (
    DIM_ROLLUP_DIMENSIONS,
    ROLLUP_DIMENSIONS,
    SqlDimRollup,
    SqlFeedback,
    SqlGeneration,
    SqlProject,
    SqlRollup,
    SqlRollupMark,
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


@dataclass(slots=True)
class Acc:
    """The sums of one rollup key in one batch and its sketches, serialized (``None``:
    no value of that kind)."""

    sums: list[float] = field(default_factory=lambda: [0] * len(SUMS))
    latency: bytes | None = None
    ttft: bytes | None = None
    users: bytes | None = None


Accs = dict[tuple[str, Key], Acc]

#: Sums that are counts (written as integers).
_INTEGER_SUMS = list(
    i
    for i, name in enumerate(SUMS)
    if name
    in (
        "calls",
        "errors",
        "input_tokens",
        "output_tokens",
        "cost_calls",
        "latency_count",
        "ttft_count",
    )
)
_GRAIN_ITEMS = tuple(GRAINS.items())


class _Suffixes:
    """A batch's distinct key suffixes (everything in a rollup key but grain and bucket),
    numbered, with the table, whether minute rows have it and whether it counts users."""

    __slots__ = ("by_dims", "by_tags", "by_user", "codes", "info")

    def __init__(self) -> None:
        self.codes: dict[tuple[Any, ...], int] = {}
        self.info: list[tuple[str, tuple[Any, ...], bool, bool]] = []
        self.by_dims: dict[tuple[Any, ...], list[int]] = {}
        self.by_user: dict[tuple[Any, ...], list[int]] = {}
        self.by_tags: dict[tuple[Any, ...], list[int]] = {}

    def code(self, table: str, suffix: tuple[Any, ...], minute: bool, users: bool) -> int:
        found = self.codes.get((table, *suffix))
        if found is None:
            found = self.codes[(table, *suffix)] = len(self.info)
            self.info.append((table, suffix, minute, users))
        return found

    def of_dims(self, project: int, dims: tuple[Any, ...]) -> list[int]:
        found = self.by_dims.get((project, dims))
        if found is None:
            short = dims[:3]
            found = [
                self.code(MAIN, (project, *dims), True, True),
                self.code(DIM, (project, "all", "", *short), False, True),
                self.code(DIM, (project, "total", "", *_NO_SHORT), False, True),
            ]
            found.extend(
                self.code(DIM, (project, name, dims[index], *_NO_SHORT), False, True)
                for name, index in _SINGLE
            )
            self.by_dims[(project, dims)] = found
        return found

    def of_user(self, project: int, user: str, short: tuple[Any, ...]) -> list[int]:
        found = self.by_user.get((project, user, short))
        if found is None:
            found = self.by_user[(project, user, short)] = [
                self.code(DIM, (project, "user", user, *short), True, False),
                self.code(DIM, (project, "user_total", user, *_NO_SHORT), False, False),
            ]
        return found

    def of_tags(self, project: int, tags: tuple[str, ...], short: tuple[Any, ...]) -> list[int]:
        found = self.by_tags.get((project, tags, short))
        if found is None:
            found = self.by_tags[(project, tags, short)] = [
                self.code(DIM, (project, "tag", tag, *short), True, True) for tag in tags
            ]
        return found


def aggregate(rows: Iterable[Mapping[str, Any]]) -> Accs:
    """Rows (``SqlGeneration`` columns) summed per rollup key, each key's sketches built
    once from all of its values in the batch.

    Python touches each row once (its values and the numbers of its key suffixes, cached
    per distinct dimensions, user and tags); grouping per grain and bucket, the sums and
    the split of latencies per key are numpy operations over the whole batch."""
    suffixes = _Suffixes()
    values: list[tuple[float, ...]] = []
    minutes: list[int] = []
    users: list[str | None] = []
    pair_rows: list[int] = []
    pair_codes: list[int] = []
    for index, row in enumerate(rows):
        cost = cost_of(row.get("input_cost"), row.get("output_cost"))
        latency, ttft, user = row.get("latency_ms"), row.get("ttft_ms"), row.get("user_id")
        values.append(
            (
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
                _NAN if latency is None else latency,
                _NAN if ttft is None else ttft,
            )
        )
        minutes.append(_epoch(row["start_time"]) // 60 * 60)
        project = row["project_id"]
        dims = dimensions_of(row)
        codes = suffixes.of_dims(project, dims)
        user_text = str(user) if user else None
        users.append(user_text)
        if user:
            codes = codes + suffixes.of_user(project, str(user)[:200], dims[:3])
        tags = row.get("tags")
        if tags:
            codes = codes + suffixes.of_tags(project, tuple(_tags(row)), dims[:3])
        pair_codes.extend(codes)
        pair_rows.extend([index] * len(codes))
    if not values:
        return {}
    matrix = np.asarray(values, dtype=np.float64)
    rows_of = np.asarray(pair_rows, dtype=np.int64)
    codes_of = np.asarray(pair_codes, dtype=np.int64)
    in_minute = np.asarray([info[2] for info in suffixes.info], dtype=bool)
    at = np.asarray(minutes, dtype=np.int64)[rows_of]
    # one composite number per (grain, suffix, bucket) entry, then one np.unique
    first = int(at.min()) - int(at.min()) % 86400  # at or before every bucket
    span = (int(at.max()) - first) // 60 + 1
    width = span * len(suffixes.info)
    composite, entry_rows = [], []
    for level, (grain, seconds) in enumerate(_GRAIN_ITEMS):
        keep = in_minute[codes_of] if grain == "minute" else slice(None)
        bucket_index = (at[keep] - at[keep] % seconds - first) // 60
        composite.append(level * width + codes_of[keep] * span + bucket_index)
        entry_rows.append(rows_of[keep])
    keys, group = np.unique(np.concatenate(composite), return_inverse=True)
    entries = np.concatenate(entry_rows)
    count = len(keys)
    sums = np.empty((count, len(SUMS)), dtype=np.float64)
    for column in range(len(SUMS)):
        sums[:, column] = np.bincount(group, weights=matrix[entries, column], minlength=count)
    latency_blobs = _sketches(group, matrix[entries, len(SUMS)], count)
    ttft_blobs = _sketches(group, matrix[entries, len(SUMS) + 1], count)
    counts_users = np.asarray([info[3] for info in suffixes.info], dtype=bool)
    user_sets = _user_sets(group, entries, users, counts_users, keys, span)
    # counts as Python ints, the rest as floats
    totals = sums.astype(object)
    totals[:, _INTEGER_SUMS] = np.rint(sums[:, _INTEGER_SUMS]).astype(np.int64).astype(object)
    accs: Accs = {}
    for number, (composite_key, total) in enumerate(
        zip(keys.tolist(), totals.tolist(), strict=True)
    ):
        level, rest = divmod(composite_key, width)
        code, bucket_index = divmod(rest, span)
        table, suffix, _, _ = suffixes.info[code]
        grain = _GRAIN_ITEMS[level][0]
        members = user_sets.get(number)
        accs[(table, (suffix[0], grain, first + bucket_index * 60, *suffix[1:]))] = Acc(
            total, latency_blobs[number], ttft_blobs[number], _hll(members) if members else None
        )
    return accs


_NAN = float("nan")


def _sketches(group: np.ndarray, values: np.ndarray, count: int) -> list[bytes | None]:
    """One serialized KLL sketch per group of its non-missing values (``None``: none)."""
    blobs: list[bytes | None] = [None] * count
    present = ~np.isnan(values)
    group, values = group[present], values[present].astype(np.float32)
    if not len(values):
        return blobs
    order = np.argsort(group, kind="stable")
    values = values[order]
    sizes = np.bincount(group, minlength=count)
    start = 0
    for number, size in enumerate(sizes.tolist()):
        if size:
            sketch = new_sketch()
            sketch.update(values[start : start + size])
            blobs[number] = bytes(sketch.serialize())
            start += size
    return blobs


def _user_sets(
    group: np.ndarray,
    entries: np.ndarray,
    users: list[str | None],
    counts_users: np.ndarray,
    keys: np.ndarray,
    span: int,
) -> dict[int, set[str]]:
    """The distinct users of each group whose key counts users."""
    known: dict[str, int] = {}
    names: list[str] = []
    codes = np.empty(len(users), dtype=np.int64)
    for index, user in enumerate(users):
        if user is None:
            codes[index] = -1
            continue
        found = known.get(user)
        if found is None:
            found = known[user] = len(names)
            names.append(user)
        codes[index] = found
    if not names:
        return {}
    suffix_of_key = (keys % (span * len(counts_users))) // span
    wanted = counts_users[suffix_of_key][group] & (codes[entries] >= 0)
    pairs = np.unique(group[wanted] * len(names) + codes[entries][wanted])
    sets: dict[int, set[str]] = {}
    for pair in pairs.tolist():
        number, user = divmod(pair, len(names))
        sets.setdefault(number, set()).add(names[user])
    return sets


# -- writing -------------------------------------------------------------------------


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
            values.append((*key, *acc.sums, acc.latency, acc.ttft, acc.users, *zeros))
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


def add_generations(
    connection: Connection, rows: Sequence[Mapping[str, Any]], max_pk_before: int
) -> None:
    """The event store's hook, in its transaction, for the rows it just stored (the
    caller took :func:`lock_projects` before inserting and ``max_pk_before`` before that):
    online experiments' sums, and each project's mark of what awaits :func:`roll_up`."""
    if not rows:
        return
    experiment_rollups.add_generations(connection, rows)  # online experiments' own sums
    stored = max_pk(connection)
    marks = [(project_id, max_pk_before, stored) for project_id in {r["project_id"] for r in rows}]
    connection.exec_driver_sql(_MARK_SQL[connection.dialect.name == "sqlite"], marks)


#: A project's mark after an insert: what it stored so far, and, the first time, that
#: nothing before this insert is its to count. ``rolled_pk`` drops to the key before the
#: insert only if it was above it (SQLite hands out the highest key again once the rows
#: that held it are deleted): no stored row has a key in between, so none is counted twice.
_MARK_SQL = {
    sqlite: (
        "INSERT INTO analytics_rollup_marks (project_id, rolled_pk, stored_pk) "
        f"VALUES ({mark}, {mark}, {mark}) ON CONFLICT (project_id) DO UPDATE SET "
        "stored_pk = excluded.stored_pk, "
        f"rolled_pk = {least}(analytics_rollup_marks.rolled_pk, excluded.rolled_pk)"
    )
    for sqlite, mark, least in ((True, "?", "min"), (False, "%s", "LEAST"))
}

#: Generations counted per transaction of :func:`roll_up`: a second of heavy traffic, so
#: that its rows share keys, while the write lock is held for a fraction of a second.
ROLL_CHUNK = 10_000


def pending(core: Core, project_ids: Iterable[int] | None = None) -> dict[int, tuple[int, int]]:
    """Project id → (``rolled_pk``, ``stored_pk``) of the projects with generations not yet
    counted in the rollups (all projects, or these)."""
    m = SqlRollupMark
    statement = select(m.project_id, m.rolled_pk, m.stored_pk).where(m.stored_pk > m.rolled_pk)
    if project_ids is not None:
        wanted = list(project_ids)
        if not wanted:
            return {}
        statement = statement.where(m.project_id.in_(wanted))
    with core.store.read() as session:
        return {int(p): (int(r), int(s)) for p, r, s in session.execute(statement)}


def roll_up(
    core: Core, project_ids: Iterable[int] | None = None, *, most: int | None = None
) -> int:
    """Count the generations stored and not yet counted (of all projects, or these) into
    the rollups, up to what was stored when called (or about ``most`` rows: whole
    chunks); how many were counted.

    The ``analytics_rollups`` job's step, and the first thing every rollup query does (one
    read of the marks when nothing is pending). Each chunk is read, summed, written and
    marked in one write transaction under the project's rollup lock, so two writers (the
    job, a query, another server process) never count a row twice."""
    counted = 0
    for project_id, (_, target) in pending(core, project_ids).items():
        more = True
        while more and (most is None or counted < most):
            done, more = _roll_chunk(core, project_id, target)
            counted += done
    return counted


def _roll_chunk(core: Core, project_id: int, target: int) -> tuple[int, bool]:
    """One transaction of :func:`roll_up`: (rows counted, whether rows up to ``target``
    remain)."""
    with core.store.write() as session:
        connection = session.connection()
        lock_projects(connection, [project_id])
        m = SqlRollupMark
        found = connection.execute(
            select(m.rolled_pk, m.stored_pk).where(m.project_id == project_id)
        ).first()
        if found is None:
            return 0, False  # the project was deleted
        rolled, stored = int(found[0]), int(found[1])
        upto = min(stored, target)
        if rolled >= upto:
            return 0, False  # another writer got here first
        rows = _rows_between(connection, project_id, rolled, upto)
        if rows:
            write(connection, aggregate(rows))
        full = len(rows) == ROLL_CHUNK
        mark = int(rows[-1]["pk"]) if full else upto
        connection.execute(update(m).where(m.project_id == project_id).values(rolled_pk=mark))
        return len(rows), full and mark < upto


def _rows_between(
    connection: Connection, project_id: int, after: int, upto: int
) -> list[dict[str, Any]]:
    """The project's generations with a key in ``(after, upto]``, by key, at most
    :data:`ROLL_CHUNK`: a range of the primary key (on SQLite, ``+project_id`` keeps the
    planner off the project's time index, which would visit every row of the project)."""
    g = SqlGeneration
    in_project = (
        literal_column("+generations.project_id") == project_id
        if connection.dialect.name == "sqlite"
        else g.project_id == project_id
    )
    statement = (
        select(g.pk, *(getattr(g, name) for name in _RAW_COLUMNS))
        .where(g.pk > after, g.pk <= upto, in_project)
        .order_by(g.pk)
        .limit(ROLL_CHUNK)
    )
    return [dict(row._mapping) for row in connection.execute(statement)]


def max_pk(connection: Connection) -> int:
    """The highest generation primary key (taken before an insert, for
    :func:`inserted_rows` on SQLite)."""
    # a bare max() of the primary key: one index probe on SQLite and PostgreSQL, sent as
    # the driver's SQL (building and caching a statement cost more than the probe)
    return int(connection.exec_driver_sql("SELECT max(pk) FROM generations").scalar() or 0)


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


# -- retention ------------------------------------------------------------------------

#: Minute rows deleted per statement (short write transactions).
PRUNE_CHUNK_SECONDS = 6 * 3600


def minute_cutoff(now: datetime, retention_hours: int) -> int:
    """The first minute bucket (epoch seconds) still kept: older minute rows are pruned.
    Whole hours, so an hour's minutes are kept or deleted together."""
    at = _epoch(now) - retention_hours * 3600
    return at - at % 3600


#: The dim-table dimensions that have minute rows (the others: hour and day only).
MINUTE_DIMS = ("user", "tag")


def prune_minutes(connection: Connection, cutoff: int) -> int:
    """Delete minute rollups older than ``cutoff`` (hour and day rows stay), per project
    along the key indexes, at most ``PRUNE_CHUNK_SECONDS`` of buckets per index range;
    how many rows went (call again while it is not 0)."""
    deleted = 0
    project_ids = list(connection.scalars(select(SqlProject.id)))
    ranges: list[tuple[Any, list[Any]]] = []
    for project_id in project_ids:
        ranges.append((SqlRollup, [SqlRollup.project_id == project_id]))
        ranges.extend(
            (SqlDimRollup, [SqlDimRollup.project_id == project_id, SqlDimRollup.dim == dim])
            for dim in MINUTE_DIMS
        )
    for model, where in ranges:
        where = [*where, model.grain == "minute"]
        oldest = connection.scalar(select(func.min(model.bucket)).where(*where))
        if oldest is None or int(oldest) >= cutoff:
            continue
        end = min(cutoff, int(oldest) + PRUNE_CHUNK_SECONDS)
        result = connection.execute(delete(model).where(*where, model.bucket < end))
        deleted += int(result.rowcount or 0)
    return deleted


def prune_minute_rollups(core: Core) -> int:
    """The ``rollup_retention`` job's step: delete minute rollups older than
    ``analytics_minute_retention_hours`` (short transactions); how many rows went."""
    cutoff = minute_cutoff(core.clock(), core.settings.analytics_minute_retention_hours)
    total = 0
    while True:
        with core.store.write() as session:
            deleted = prune_minutes(session.connection(), cutoff)
        total += deleted
        if not deleted:
            return total


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


def _feedback_sql(table: str, sqlite: bool) -> str:
    """Add feedback to a key's row, creating the row if the key has none yet (feedback
    can come before :func:`roll_up` counts its generation: sums add in any order)."""
    keys = KEY_COLUMNS[table]
    columns = [*keys, *SUMS, *FEEDBACK]
    mark = "?" if sqlite else "%s"
    updates = [f"{name} = {table}.{name} + excluded.{name}" for name in FEEDBACK]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}"
    )


def add_feedback(connection: Connection, row: Mapping[str, Any]) -> None:
    """Add one feedback on a generation to that generation's rollups (the event store's
    hook; feedback on a trace or session alone is not in rollups)."""
    if row.get("generation_id") is None:
        return
    experiment_rollups.add_feedback(connection, row)  # online experiments' own sums
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
    sqlite = connection.dialect.name == "sqlite"
    zeros = (0,) * len(SUMS)
    added = tuple(delta.get(name, 0) for name in FEEDBACK)
    by_table: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for table, key, _ in keys_of(generation, dimensions_of(generation)):
        by_table[table].append((*key, *zeros, *added))
    for table, values in by_table.items():
        connection.exec_driver_sql(_feedback_sql(table, sqlite), values)


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
    projects = {row["project_id"] for row in rows}
    lock_projects(connection, projects)
    m = SqlRollupMark
    rolled = dict(
        connection.execute(
            select(m.project_id, m.rolled_pk).where(m.project_id.in_(projects))
        ).all()
    )
    accs: Accs = {}
    for row in rows:
        if row["pk"] > rolled.get(row["project_id"], 0):
            continue  # not counted yet: roll_up will read the new cost
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
    every = connection.scalars(select(SqlProject.id)) if project_id is None else [project_id]
    lock_projects(connection, list(every))  # no insert or roll_up of these meanwhile
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
    marks = update(SqlRollupMark).values(rolled_pk=SqlRollupMark.stored_pk)
    if project_id is not None:
        marks = marks.where(SqlRollupMark.project_id == project_id)
    session.execute(marks)  # every stored row is counted now
    return counted
