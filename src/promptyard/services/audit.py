"""The tamper-evident audit trail.

Every write appends one event in the same transaction as the change itself. Events form
a hash chain: each stores the hash of the previous event and the SHA-256 of its own
canonical content (sorted-key JSON of every field but ``hash``), so editing, deleting,
inserting or reordering rows breaks the chain at a point :func:`verify` names.
:func:`search_events` and :func:`export_events` read one workspace's part of the chain.
Appends lock the single ``audit_head`` row, so the chain stays linear under concurrency.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.services.core import Core
from promptyard.store.models import SqlAuditEvent, SqlAuditHead

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
    """Append one event inside the caller's write transaction."""
    head = session.execute(
        select(SqlAuditHead).where(SqlAuditHead.id == 1).with_for_update()
    ).scalar_one()
    event = SqlAuditEvent(
        seq=head.seq + 1,
        workspace_id=workspace_id if workspace_id is not None else ctx.actor.workspace_id,
        actor=ctx.actor.ref,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary or {},
        request_id=ctx.request_id,
        ip=ctx.ip,
        created_at=core.clock(),
        prev_hash=head.hash,
        hash="",
    )
    event.hash = canonical_hash(_fields(event))
    head.seq = event.seq
    head.hash = event.hash
    session.add(event)
    return event


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_broken_seq": self.first_broken_seq,
            "first_broken_id": self.first_broken_id,
            "reason": self.reason,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
        }


def verify(core: Core) -> VerifyResult:
    """Re-walk the whole chain and name the first event that does not fit."""
    previous = GENESIS
    expected_seq = 1
    checked = 0
    with core.store.read() as session:
        head = session.execute(select(SqlAuditHead).where(SqlAuditHead.id == 1)).scalar_one()
        rows = session.execute(select(SqlAuditEvent).order_by(SqlAuditEvent.seq)).scalars()
        for event in rows:
            checked += 1
            if event.seq != expected_seq:
                return VerifyResult(
                    False,
                    checked,
                    event.seq,
                    event.id,
                    f"expected sequence {expected_seq}, found {event.seq} (missing or reordered)",
                )
            if event.prev_hash != previous:
                return VerifyResult(
                    False,
                    checked,
                    event.seq,
                    event.id,
                    "previous-hash link does not match the event before it",
                )
            if canonical_hash(_fields(event)) != event.hash:
                return VerifyResult(
                    False, checked, event.seq, event.id, "content does not match its hash"
                )
            previous = event.hash
            expected_seq += 1
        if head.seq != expected_seq - 1 or head.hash != previous:
            return VerifyResult(
                False,
                checked,
                expected_seq,
                None,
                f"chain ends at sequence {expected_seq - 1} but the head records {head.seq}: "
                "events were removed from the end",
            )
    return VerifyResult(True, checked, head_seq=expected_seq - 1, head_hash=previous)


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
        query = query.where(SqlAuditEvent.object_id == where.object_id)
    if where.since is not None:
        query = query.where(SqlAuditEvent.created_at >= where.since)
    if where.until is not None:
        query = query.where(SqlAuditEvent.created_at < where.until)
    return query


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
