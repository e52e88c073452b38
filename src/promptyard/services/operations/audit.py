"""The tamper-evident audit trail.

Every write appends one event in the same transaction as the change itself. Events form
a hash chain: each stores the hash of the previous event and the SHA-256 of its own
canonical content (sorted-key JSON of every field but ``hash``), so editing, deleting,
inserting or reordering rows breaks the chain at a point :func:`verify` names. Someone
who rewrites the whole table and the head row is caught by signed checkpoints of the
head kept outside the database (:mod:`audit_signing`, :mod:`audit_checkpoints`), which
:func:`verify` checks the chain against.
:func:`search_events` and :func:`export_events` read one workspace's part of the chain.
Appends lock the single ``audit_head`` row, so the chain stays linear under concurrency.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import (
    Connection,
    Select,
    String,
    Table,
    and_,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.services.context import Core
from promptyard.services.operations import audit_signing
from promptyard.store.models import (
    SqlAuditEvent,
    SqlAuditHead,
    SqlChangeRequest,
    SqlProject,
    SqlPrompt,
)

GENESIS = "0" * 64


def canonical_hash(fields: dict[str, Any]) -> str:
    payload = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z)
    return hashlib.sha256(payload).hexdigest()


def _fields(event: SqlAuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "workspace_id": event.workspace_id,
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "request_id": event.request_id,
        "ip": event.ip,
        "created_at": event.created_at.isoformat(),
        "prev_hash": event.prev_hash,
    }


def append(
    core: Core,
    session: Session,
    *,
    ctx: RequestContext,
    action: str,
    object_type: str,
    object_id: str,
    summary: dict[str, Any] | None = None,
    workspace_id: int | None = None,
) -> SqlAuditEvent:
    """Append one event inside the caller's write transaction.

    The head row is moved first, by an ``UPDATE`` that names the head this process saw
    last (:data:`_HEAD_HINT` in ``core.store.hints``): when that is still the head, the
    update both locks the row and proves the event links to it, in one round-trip. When
    it is not (another process appended, or a transaction rolled back), nothing is
    updated, and the head is read under lock as before.
    """
    event = SqlAuditEvent(
        workspace_id=workspace_id if workspace_id is not None else ctx.actor.workspace_id,
        actor=ctx.actor.ref,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary or {},
        request_id=ctx.request_id,
        ip=ctx.ip,
        created_at=core.clock(),
        hash="",
    )
    # Plain statements on the transaction's connection: the event is written at once,
    # without the ORM's unit of work (callers never change it afterwards).
    connection = session.connection()
    hint = core.store.hints.get(_HEAD_HINT)
    if hint is None or not _move_head(connection, event, *hint):
        seq, prev_hash = connection.execute(
            select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
        ).one()
        if not _move_head(connection, event, seq, prev_hash):
            raise RuntimeError("the audit head moved while locked")  # pragma: no cover
    fields = _fields(event)
    fields.update(created_at=event.created_at, hash=event.hash)
    connection.execute(_INSERT_EVENT, fields)
    core.store.hints[_HEAD_HINT] = (event.seq, event.hash)
    _written_here(core).add(event.seq, event.hash)
    return event


def written_here(core: Core, seq: int, event_hash: str) -> bool:
    """Whether this process appended event ``seq`` with this hash lately (the last 4,096).

    Other processes learn of a write from the audit chain (``services/delivery/changes``);
    this process already dropped what its own writes made stale, so it need not again.
    The hash tells a committed event from one whose transaction rolled back and whose
    sequence number another writer then took.
    """
    return (seq, event_hash) in _written_here(core)


class _Recent:
    """A bounded, thread-safe set of ``(seq, hash)``: the oldest go first."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: dict[tuple[int, str], None] = {}
        self._lock = threading.Lock()

    def add(self, seq: int, event_hash: str) -> None:
        with self._lock:
            self._items[(seq, event_hash)] = None
            if len(self._items) > self._size:
                del self._items[next(iter(self._items))]

    def __contains__(self, item: object) -> bool:
        with self._lock:
            return item in self._items


def _written_here(core: Core) -> _Recent:
    recent = core.store.hints.get(_WRITTEN_HERE)
    if not isinstance(recent, _Recent):
        recent = core.store.hints.setdefault(_WRITTEN_HERE, _Recent())
    return recent


#: Key of the last head this process wrote, in ``core.store.hints``.
_HEAD_HINT = "audit.head"
#: Key of the events this process appended lately (:func:`written_here`).
_WRITTEN_HERE = "audit.written_here"
_HEAD: Table = SqlAuditHead.__table__  # type: ignore[assignment]
_EVENTS: Table = SqlAuditEvent.__table__  # type: ignore[assignment]
# Built once: the statements (and their cache keys) are the same for every append.
_INSERT_EVENT = insert(_EVENTS)
_MOVE_HEAD = (
    update(_HEAD)
    .where(
        _HEAD.c.id == 1,
        _HEAD.c.seq == bindparam("old_seq"),
        _HEAD.c.hash == bindparam("old_hash"),
    )
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def _move_head(connection: Connection, event: SqlAuditEvent, seq: int, prev_hash: str) -> bool:
    """Link ``event`` after ``(seq, prev_hash)`` and move the head to it, if that is the
    head; False (nothing changed) if it is not."""
    event.seq = seq + 1
    event.prev_hash = prev_hash
    event.hash = canonical_hash(_fields(event))
    moved = connection.execute(
        _MOVE_HEAD,
        {"old_seq": seq, "old_hash": prev_hash, "new_seq": event.seq, "new_hash": event.hash},
    )
    return moved.rowcount == 1


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    first_broken_id: int | None = None
    reason: str | None = None
    #: The verified chain head, to record outside the database as an anchor.
    head_seq: int | None = None
    head_hash: str | None = None
    #: The checkpoint checked against (``seq``, ``hash``, ``created_at``, ``key_id`` and
    #: ``source``: ``file`` or ``caller``); None when there is none yet.
    checkpoint: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_broken_seq": self.first_broken_seq,
            "first_broken_id": self.first_broken_id,
            "reason": self.reason,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "checkpoint": self.checkpoint,
        }


def _snapshot(core: Core, session: Session) -> None:
    """Read the head and the events from one snapshot, so appends meanwhile do not count.

    SQLite's deferred read transaction is a snapshot already; PostgreSQL reads at
    READ COMMITTED unless told otherwise.
    """
    if not core.store.is_sqlite:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


@dataclass
class _Walk:
    """Where a walk over the chain got to."""

    next_seq: int
    previous: str
    checked: int = 0
    broken: VerifyResult | None = None
    #: The hash of the event with sequence number ``watch``, if the walk met it.
    watched_hash: str | None = None
    watched_id: int | None = None


def _walk(session: Session, walk: _Walk, *, watch: int | None = None) -> _Walk:
    """Check every event from ``walk.next_seq`` on; stop at the first that does not fit."""
    rows = session.execute(
        select(SqlAuditEvent)
        .where(SqlAuditEvent.seq >= walk.next_seq)
        .order_by(SqlAuditEvent.seq)
        .execution_options(yield_per=1000)
    ).scalars()
    for event in rows:
        walk.checked += 1
        reason = None
        if event.seq != walk.next_seq:
            reason = f"expected sequence {walk.next_seq}, found {event.seq} (missing or reordered)"
        elif event.prev_hash != walk.previous:
            reason = "previous-hash link does not match the event before it"
        elif canonical_hash(_fields(event)) != event.hash:
            reason = "content does not match its hash"
        if reason is not None:
            walk.broken = VerifyResult(False, walk.checked, event.seq, event.id, reason)
            return walk
        if event.seq == watch:
            walk.watched_hash, walk.watched_id = event.hash, event.id
        walk.previous = event.hash
        walk.next_seq += 1
    return walk


def _head_matches(walk: _Walk, head: SqlAuditHead) -> VerifyResult | None:
    last = walk.next_seq - 1
    if head.seq != last or head.hash != walk.previous:
        return VerifyResult(
            False,
            walk.checked,
            walk.next_seq,
            None,
            f"chain ends at sequence {last} but the head records {head.seq}: "
            "events were removed from the end",
        )
    return None


def verify(core: Core, *, checkpoint: dict[str, Any] | None = None) -> VerifyResult:
    """Re-walk the whole chain, name the first event that does not fit, and check it
    still reaches a signed checkpoint: ``checkpoint`` when given, else the latest one in
    the checkpoint file (see :mod:`promptyard.services.operations.audit_signing`).

    The chain alone cannot tell that its last events were deleted and the head row set
    back; the checkpoint can: its event must still be there, with the same hash.
    """
    source = "caller" if checkpoint is not None else "file"
    file_problem = None
    if checkpoint is None:
        try:
            checkpoint = audit_signing.latest(core.settings)
        except audit_signing.CheckpointFileProblem as exc:
            file_problem = str(exc)
    watch = checkpoint.get("seq") if checkpoint is not None else None
    ok, walk = _verify_chain(core, watch=watch if isinstance(watch, int) else None)
    summary = _checkpoint_summary(checkpoint, source)
    if not ok.ok:
        return replace(ok, checkpoint=summary)
    last = walk.next_seq - 1

    def failed(reason: str, seq: int | None = None, event_id: int | None = None) -> VerifyResult:
        return VerifyResult(False, ok.checked, seq, event_id, reason, checkpoint=summary)

    if file_problem is not None:
        return failed(f"the latest checkpoint is unreadable: {file_problem}")
    if checkpoint is None:
        return ok
    problem = audit_signing.check(
        checkpoint, audit_signing.load_signing_key(core.settings).public_raw
    )
    if problem is not None:
        return failed(f"checkpoint rejected: {problem}")
    seq, signed_hash = checkpoint["seq"], checkpoint["hash"]
    when = checkpoint["created_at"]
    if seq > last:
        return failed(
            f"the chain ends at sequence {last}, but the checkpoint of {when} was signed at "
            f"sequence {seq}: events {last + 1} to {seq} (at least) were removed from the end "
            "(tail truncated)",
            last + 1,
        )
    if walk.watched_hash != signed_hash:
        return failed(
            f"event {seq} no longer has the hash the checkpoint of {when} signed: "
            "the chain was rewritten up to there",
            seq,
            walk.watched_id,
        )
    return replace(ok, checkpoint=summary)


def _checkpoint_summary(checkpoint: dict[str, Any] | None, source: str) -> dict[str, Any] | None:
    if checkpoint is None:
        return None
    summary = {name: checkpoint.get(name) for name in ("seq", "hash", "created_at", "key_id")}
    summary["source"] = source
    return summary


def head(core: Core) -> tuple[int, str]:
    """The head row's ``(seq, hash)``: the chain's last event, as appends recorded it."""
    with core.store.read() as session:
        row = session.execute(select(SqlAuditHead).where(SqlAuditHead.id == 1)).scalar_one()
        return row.seq, row.hash


def verify_extension(core: Core, checkpoint: dict[str, Any] | None) -> VerifyResult:
    """Check that the chain today continues a checkpoint (already known to be genuine).

    Walks only the events after it, so publishing checkpoints stays cheap on a long
    chain; without a checkpoint, walks the whole chain. Nothing is signed unless this
    passes, so a chain cut back after the last checkpoint never gets a newer one.
    """
    if checkpoint is None:
        return _verify_chain(core)[0]
    seq, signed_hash = int(checkpoint["seq"]), str(checkpoint["hash"])
    with core.store.read() as session:
        _snapshot(core, session)
        head_row = session.execute(select(SqlAuditHead).where(SqlAuditHead.id == 1)).scalar_one()
        anchor = session.execute(
            select(SqlAuditEvent).where(SqlAuditEvent.seq == seq)
        ).scalar_one_or_none()
        if anchor is None or head_row.seq < seq:
            return VerifyResult(
                False,
                0,
                seq,
                None,
                f"the chain no longer reaches the latest checkpoint's sequence {seq} "
                "(tail truncated)",
            )
        if anchor.hash != signed_hash or canonical_hash(_fields(anchor)) != signed_hash:
            return VerifyResult(
                False,
                1,
                seq,
                anchor.id,
                f"event {seq} no longer has the hash the latest checkpoint signed",
            )
        walk = _walk(session, _Walk(next_seq=seq + 1, previous=signed_hash, checked=1))
    broken = walk.broken or _head_matches(walk, head_row)
    if broken is not None:
        return broken
    return VerifyResult(True, walk.checked, head_seq=walk.next_seq - 1, head_hash=walk.previous)


def _verify_chain(core: Core, *, watch: int | None = None) -> tuple[VerifyResult, _Walk]:
    """Walk the whole chain in one snapshot and compare its end with the head row."""
    with core.store.read() as session:
        _snapshot(core, session)
        head_row = session.execute(select(SqlAuditHead).where(SqlAuditHead.id == 1)).scalar_one()
        walk = _walk(session, _Walk(next_seq=1, previous=GENESIS), watch=watch)
    broken = walk.broken or _head_matches(walk, head_row)
    if broken is not None:
        return broken, walk
    ok = VerifyResult(True, walk.checked, head_seq=walk.next_seq - 1, head_hash=walk.previous)
    return ok, walk


# -- search and export -------------------------------------------------------------

#: Columns of an export, in order: the event's content, then its links in the chain.
EXPORT_COLUMNS = (
    "seq",
    "id",
    "created_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "summary",
    "request_id",
    "ip",
    "prev_hash",
    "hash",
)
_EXPORT_BATCH = 500


@dataclass(frozen=True)
class AuditFilter:
    """Which events of one workspace to list or export; ``None`` means any.

    ``action`` matches exactly, or by prefix when it ends in ``*`` (``prompt.*``).
    ``since`` is inclusive, ``until`` exclusive.
    """

    workspace_id: int
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _where(query: Select[Any], where: AuditFilter) -> Select[Any]:
    query = query.where(SqlAuditEvent.workspace_id == where.workspace_id)
    if where.actor is not None:
        query = query.where(SqlAuditEvent.actor == where.actor)
    if where.action is not None:
        if where.action.endswith("*"):
            prefix = where.action[:-1].replace("\\", "\\\\").replace("%", r"\%")
            prefix = prefix.replace("_", r"\_")
            query = query.where(SqlAuditEvent.action.like(f"{prefix}%", escape="\\"))
        else:
            query = query.where(SqlAuditEvent.action == where.action)
    if where.object_type is not None:
        query = query.where(SqlAuditEvent.object_type == where.object_type)
    if where.object_id is not None:
        query = query.where(_object_matches(where))
    if where.since is not None:
        query = query.where(SqlAuditEvent.created_at >= where.since)
    if where.until is not None:
        query = query.where(SqlAuditEvent.created_at < where.until)
    return query


def _object_matches(where: AuditFilter) -> Any:
    """``object_id`` as given, or, for prompts, the ids of the workspace's prompts (live
    or deleted, in any project) with that name: people search by the name they know."""
    assert where.object_id is not None
    exact = SqlAuditEvent.object_id == where.object_id
    if where.object_type not in (None, "prompt"):
        return exact
    named = (
        select(cast(SqlPrompt.id, String))
        .join(SqlProject, SqlProject.id == SqlPrompt.project_id)
        .where(SqlProject.workspace_id == where.workspace_id, SqlPrompt.name == where.object_id)
    )
    return or_(
        exact, and_(SqlAuditEvent.object_type == "prompt", SqlAuditEvent.object_id.in_(named))
    )


def _link_objects(session: Session, items: list[dict[str, Any]]) -> None:
    """Add ``object_project`` and ``object_name`` to the events of prompts and change
    requests (one query per kind for the page), so a reader can open the object."""

    def ids(kind: str) -> set[int]:
        return {
            int(item["object_id"])
            for item in items
            if item["object_type"] == kind and item["object_id"].isdigit()
        }

    prompts: dict[str, tuple[str, str | None]] = {
        str(pid): (slug, name)
        for pid, name, slug in session.execute(
            select(SqlPrompt.id, SqlPrompt.name, SqlProject.slug)
            .join(SqlProject, SqlProject.id == SqlPrompt.project_id)
            .where(SqlPrompt.id.in_(ids("prompt")))
        )
    }
    requests: dict[str, tuple[str, str | None]] = {
        str(rid): (slug, None)
        for rid, slug in session.execute(
            select(SqlChangeRequest.id, SqlProject.slug)
            .join(SqlProject, SqlProject.id == SqlChangeRequest.project_id)
            .where(SqlChangeRequest.id.in_(ids("change_request")))
        )
    }
    by_kind = {"prompt": prompts, "change_request": requests}
    for item in items:
        found = by_kind.get(item["object_type"], {})
        project, name = found.get(item["object_id"], (None, None))
        item["object_project"] = project
        item["object_name"] = name


def event_dict(event: SqlAuditEvent) -> dict[str, Any]:
    """One event as the API, the CLI and exports show it, chain hashes included."""
    return {
        "seq": event.seq,
        "id": event.id,
        "created_at": event.created_at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "request_id": event.request_id,
        "ip": event.ip,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def search_events(
    core: Core, *, where: AuditFilter, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """``{"items": [...], "total": n}``: the workspace's matching events, newest first."""
    with core.store.read() as session:
        total = session.execute(
            _where(select(func.count()).select_from(SqlAuditEvent), where)
        ).scalar_one()
        rows = session.execute(
            _where(select(SqlAuditEvent), where)
            .order_by(SqlAuditEvent.seq.desc())
            .limit(limit)
            .offset(offset)
        ).scalars()
        items = [event_dict(event) for event in rows]
        _link_objects(session, items)
    return {"items": items, "total": int(total)}


def iter_events(core: Core, *, where: AuditFilter) -> Iterator[dict[str, Any]]:
    """Every matching event, oldest first, read in batches (one short read each)."""
    after = 0
    while True:
        with core.store.read() as session:
            batch = [
                event_dict(event)
                for event in session.execute(
                    _where(select(SqlAuditEvent), where)
                    .where(SqlAuditEvent.seq > after)
                    .order_by(SqlAuditEvent.seq)
                    .limit(_EXPORT_BATCH)
                ).scalars()
            ]
        yield from batch
        if len(batch) < _EXPORT_BATCH:
            return
        after = batch[-1]["seq"]


ExportFormat = Literal["csv", "jsonl"]


def export_events(core: Core, *, where: AuditFilter, format: ExportFormat) -> Iterator[bytes]:
    """The matching events as CSV (with a header row) or JSON Lines, oldest first.

    Each row carries ``seq``, ``prev_hash`` and ``hash``, so an auditor can check the
    links of an exported range offline: ``hash`` is the SHA-256 of the event's canonical
    content (see :func:`canonical_hash`), ``prev_hash`` the hash of the event before it.
    """
    if format == "jsonl":
        for event in iter_events(core, where=where):
            yield orjson.dumps(event) + b"\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for event in iter_events(core, where=where):
        row = dict(event)
        row["summary"] = orjson.dumps(event["summary"], option=orjson.OPT_SORT_KEYS).decode()
        writer.writerow(["" if row[name] is None else row[name] for name in EXPORT_COLUMNS])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
