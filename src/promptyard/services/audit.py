"""The tamper-evident audit trail.

Every write appends one event in the same transaction as the change itself. Events form
a hash chain: each stores the hash of the previous event and the SHA-256 of its own
canonical content (sorted-key JSON of every field but ``hash``), so editing, deleting,
inserting or reordering rows breaks the chain at a point :func:`verify` names.
Appends lock the single ``audit_head`` row, so the chain stays linear under concurrency.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_broken_seq": self.first_broken_seq,
            "first_broken_id": self.first_broken_id,
            "reason": self.reason,
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
    return VerifyResult(True, checked)
