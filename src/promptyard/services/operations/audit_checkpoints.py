"""Publishing signed checkpoints of the audit chain's head outside the database.

:func:`create_checkpoint` signs the current head (see :mod:`audit_signing`) only after
checking that the chain still continues the latest checkpoint, appends it to the
checkpoint file in the data folder's backup area, and queues an ``audit.checkpoint``
webhook to every subscribed webhook. :class:`Checkpointer` does so in the background
every ``audit_checkpoint_events`` new events or ``audit_checkpoint_minutes`` minutes;
admins also can on demand (``promptyard audit checkpoint``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from promptyard.domain.errors import Conflict, DomainError
from promptyard.services.context import Core
from promptyard.services.operations import audit, audit_signing, webhooks

log = logging.getLogger("promptyard.audit")

EVENT = "audit.checkpoint"
#: After a failed attempt, the background publisher waits this long before the next.
RETRY_AFTER = timedelta(minutes=5)


class ChainBroken(Conflict):
    code = "audit_chain_broken"


def create_checkpoint(core: Core) -> tuple[dict[str, Any], bool]:
    """Sign and publish the chain's head; ``(checkpoint, created)``.

    When the head has not moved since the latest checkpoint, that one is returned and
    nothing is written. Raises :class:`ChainBroken` (409) when the chain does not
    continue the latest checkpoint, or that checkpoint does not check out: a chain cut
    back or rewritten is never signed again, so ``audit verify`` keeps failing.
    """
    try:
        checkpoint, created = _sign_head(core)
    except OSError as exc:
        raise audit_signing.CheckpointFileUnwritable(
            f"cannot use {audit_signing.checkpoints_path(core.settings)}: {exc.strerror or exc}"
        ) from None
    if not created:
        return checkpoint, False
    with core.store.write() as session:
        sent = webhooks.broadcast(core, session, event=EVENT, payload=checkpoint)
    log.info(
        "audit checkpoint at sequence %d signed by key %s (%d webhook(s))",
        checkpoint["seq"],
        checkpoint["key_id"],
        sent,
    )
    return checkpoint, True


def _sign_head(core: Core) -> tuple[dict[str, Any], bool]:
    settings = core.settings
    key = audit_signing.load_signing_key(settings)
    with audit_signing.locked(settings):
        try:
            latest = audit_signing.latest(settings)
        except audit_signing.CheckpointFileProblem as exc:
            raise ChainBroken(f"not signing: {exc}") from None
        if latest is not None:
            problem = audit_signing.check(latest, key.public_raw)
            if problem is not None:
                raise ChainBroken(f"not signing: the latest checkpoint is rejected: {problem}")
        result = audit.verify_extension(core, latest)
        if not result.ok:
            raise ChainBroken(
                f"not signing: the audit chain is broken at sequence {result.first_broken_seq}: "
                f"{result.reason}",
                details=result.to_dict(),
            )
        assert result.head_seq is not None and result.head_hash is not None
        if result.head_seq == 0:
            raise Conflict("the audit chain is empty: nothing to sign", code="audit_chain_empty")
        if latest is not None and latest["seq"] == result.head_seq:
            return audit_signing.Checkpoint.model_validate(latest).model_dump(), False
        checkpoint = audit_signing.sign(
            key, seq=result.head_seq, head_hash=result.head_hash, created_at=core.clock()
        )
        audit_signing.append(settings, checkpoint)
    return checkpoint, True


def anchor_restored_chain(core: Core) -> dict[str, Any] | None:
    """After a database restore: sign the restored chain's head when it no longer
    continues the latest checkpoint; the new checkpoint, or None when none was needed.

    A backup restored over the live database takes the chain back to the backup's
    moment, so checkpoints signed since then name events that are gone; without a new
    anchor ``audit verify`` would report the restore as a truncated tail forever. The
    restored chain is walked in full first: a backup whose own chain is broken is never
    signed. The earlier checkpoints stay in the file, so the rollback stays visible.
    """
    key = audit_signing.load_signing_key(core.settings)
    with audit_signing.locked(core.settings):
        latest = latest_checkpoint(core)
        if latest is None or audit.verify_extension(core, latest).ok:
            return None
        result = audit.verify_extension(core, None)
        if not result.ok or not result.head_seq or result.head_hash is None:
            return None
        checkpoint = audit_signing.sign(
            key, seq=result.head_seq, head_hash=result.head_hash, created_at=core.clock()
        )
        audit_signing.append(core.settings, checkpoint)
    log.warning(
        "audit chain restored to sequence %d (the latest checkpoint was at %s): "
        "signed a new checkpoint of the restored head",
        checkpoint["seq"],
        latest.get("seq"),
    )
    return checkpoint


def list_checkpoints(core: Core, *, limit: int = 20) -> dict[str, Any]:
    """The server's public key and the latest checkpoints of the file, newest first."""
    key = audit_signing.load_signing_key(core.settings)
    return {
        "key_id": key.key_id,
        "public_key": key.public_key,
        "items": audit_signing.recent(core.settings, limit),
    }


def latest_checkpoint(core: Core) -> dict[str, Any] | None:
    """The file's latest checkpoint as written (None when none, or unreadable)."""
    try:
        return audit_signing.latest(core.settings)
    except audit_signing.CheckpointFileProblem:
        return None


class Checkpointer:
    """One background step: publish a checkpoint when enough events or time went by.

    Each call costs one read of the head row unless a checkpoint is due. The first call
    with events in the chain and no checkpoint yet publishes one at once.
    """

    def __init__(self, core: Core) -> None:
        self.core = core
        self._last: tuple[int, datetime] | None = None
        self._retry_at: datetime | None = None
        self._last_error: str | None = None

    def step(self) -> dict[str, Any] | None:
        settings = self.core.settings
        every_events = settings.audit_checkpoint_events
        every = timedelta(minutes=settings.audit_checkpoint_minutes)
        if not every_events and not every:
            return None
        now = self.core.clock()
        if self._retry_at is not None and now < self._retry_at:
            return None
        seq, _hash = audit.head(self.core)
        if seq == 0:
            return None
        if self._last is None:
            self._last = _seen(latest_checkpoint(self.core))
        if self._last is not None:
            last_seq, last_time = self._last
            due = seq > last_seq and (
                (every_events and seq - last_seq >= every_events)
                or (every and now - last_time >= every)
            )
            if not due:
                return None
        try:
            checkpoint, _created = create_checkpoint(self.core)
        except DomainError as exc:
            self._retry_at = now + RETRY_AFTER
            if exc.message != self._last_error:
                log.error("audit checkpoint not published: %s", exc.message)
                self._last_error = exc.message
            return None
        self._retry_at = None
        self._last_error = None
        self._last = _seen(checkpoint) or (seq, now)
        return checkpoint


def _seen(checkpoint: dict[str, Any] | None) -> tuple[int, datetime] | None:
    if checkpoint is None:
        return None
    try:
        return int(checkpoint["seq"]), datetime.fromisoformat(str(checkpoint["created_at"]))
    except (KeyError, TypeError, ValueError):
        return None
