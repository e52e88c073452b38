"""Signed checkpoints of the audit chain's head: a cut tail or a rewritten chain is caught.

The attacker here has the database (every table, the head row included) but neither the
signing key nor the copies of checkpoints kept outside the database.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import select, text

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import PromptCreate, PromptUpdate
from promptyard.services.context import Core
from promptyard.services.operations import audit, audit_checkpoints, audit_signing, webhooks
from promptyard.services.prompts import registry
from promptyard.store.models import SqlAuditEvent, SqlAuditHead
from tests._factories import admin_context, project_id


def _ctx(core: Core) -> RequestContext:
    return admin_context(core)


def _writes(core: Core, count: int = 3, *, name: str = "greeting") -> None:
    ctx = _ctx(core)
    project = project_id(core)
    registry.create_prompt(
        core, ctx=ctx, project_id=project, data=PromptCreate(name=name, content="Hello {{ name }}")
    )
    for index in range(count):
        registry.update_prompt(
            core,
            ctx=ctx,
            project_id=project,
            name=name,
            data=PromptUpdate(content=f"Hello {{{{ name }}}} #{index}"),
        )


def _head(core: Core) -> tuple[int, str]:
    return audit.head(core)


def _truncate(core: Core, keep: int) -> None:
    """What someone with database access does: drop the last events, set the head back."""
    with core.store.write() as session:
        session.execute(text("DELETE FROM audit_events WHERE seq > :keep"), {"keep": keep})
        session.execute(
            text(
                "UPDATE audit_head SET seq = :keep, "
                "hash = (SELECT hash FROM audit_events WHERE seq = :keep) WHERE id = 1"
            ),
            {"keep": keep},
        )


def _rewrite(core: Core, seq: int) -> None:
    """Edit one event and recompute every hash after it and the head: a consistent chain."""
    with core.store.write() as session:
        events = (
            session.execute(
                select(SqlAuditEvent).where(SqlAuditEvent.seq >= seq).order_by(SqlAuditEvent.seq)
            )
            .scalars()
            .all()
        )
        previous = events[0].prev_hash
        events[0].actor = "mallory"
        for event in events:
            event.prev_hash = previous
            event.hash = audit.canonical_hash(audit._fields(event))
            previous = event.hash
        head = session.execute(select(SqlAuditHead).where(SqlAuditHead.id == 1)).scalar_one()
        head.hash = previous


# -- the chain against its checkpoint -------------------------------------------------


def test_untouched_chain_verifies_against_its_checkpoint(core: Core) -> None:
    _writes(core)
    checkpoint, created = audit_checkpoints.create_checkpoint(core)
    assert created
    assert (checkpoint["seq"], checkpoint["hash"]) == _head(core)
    _writes(core, name="later")  # events after the checkpoint are fine
    result = audit.verify(core)
    assert result.ok, result
    assert result.checkpoint is not None
    assert result.checkpoint["seq"] == checkpoint["seq"]
    assert result.checkpoint["source"] == "file"
    assert result.head_seq == _head(core)[0]


def test_truncated_tail_is_detected_against_the_checkpoint(core: Core) -> None:
    _writes(core, count=5)
    checkpoint, _ = audit_checkpoints.create_checkpoint(core)
    keep = checkpoint["seq"] - 3
    _truncate(core, keep)
    # The chain alone is consistent again: this is what the checkpoint is for.
    assert audit.verify_extension(core, None).ok
    result = audit.verify(core)
    assert not result.ok
    assert "truncated" in (result.reason or "")
    assert f"sequence {keep}" in (result.reason or "")
    assert result.first_broken_seq == keep + 1
    assert result.head_seq is None
    assert result.checkpoint is not None and result.checkpoint["seq"] == checkpoint["seq"]


def test_rewritten_chain_is_detected_against_the_checkpoint(core: Core) -> None:
    _writes(core, count=4)
    checkpoint, _ = audit_checkpoints.create_checkpoint(core)
    _rewrite(core, checkpoint["seq"] - 2)
    assert audit.verify_extension(core, None).ok  # consistent on its own
    result = audit.verify(core)
    assert not result.ok
    assert result.first_broken_seq == checkpoint["seq"]
    assert "rewritten" in (result.reason or "")


def test_a_cut_chain_is_never_signed_again(core: Core) -> None:
    _writes(core, count=4)
    checkpoint, _ = audit_checkpoints.create_checkpoint(core)
    _truncate(core, checkpoint["seq"] - 2)
    _writes(core, name="cover-up")  # new events past the old sequence number
    path = audit_signing.checkpoints_path(core.settings)
    before = path.read_bytes()
    with pytest.raises(audit_checkpoints.ChainBroken) as caught:
        audit_checkpoints.create_checkpoint(core)
    assert caught.value.status == 409
    assert path.read_bytes() == before
    assert audit_checkpoints.Checkpointer(core).step() is None
    assert path.read_bytes() == before
    assert not audit.verify(core).ok


def test_forged_checkpoint_is_rejected(core: Core) -> None:
    _writes(core, count=4)
    checkpoint, _ = audit_checkpoints.create_checkpoint(core)
    keep = checkpoint["seq"] - 2
    _truncate(core, keep)
    seq, head_hash = _head(core)
    # The attacker appends a checkpoint of the cut chain, without the server's key.
    forged = {**checkpoint, "seq": seq, "hash": head_hash}
    with open(audit_signing.checkpoints_path(core.settings), "ab") as file:
        file.write(orjson.dumps(forged) + b"\n")
    result = audit.verify(core)
    assert not result.ok
    assert "signature does not match" in (result.reason or "")
    # ... or signs it with a key of their own.
    other = audit_signing.SigningKey(Ed25519PrivateKey.generate())
    own = audit_signing.sign(other, seq=seq, head_hash=head_hash, created_at=core.clock())
    result = audit.verify(core, checkpoint=own)
    assert not result.ok
    assert f"signed by key {other.key_id}" in (result.reason or "")
    # The genuine checkpoint, kept elsewhere, still shows the cut.
    result = audit.verify(core, checkpoint=checkpoint)
    assert not result.ok and "truncated" in (result.reason or "")
    assert result.checkpoint is not None and result.checkpoint["source"] == "caller"


def test_unreadable_checkpoint_file_fails_verification(core: Core) -> None:
    _writes(core)
    audit_checkpoints.create_checkpoint(core)
    with open(audit_signing.checkpoints_path(core.settings), "ab") as file:
        file.write(b'{"format": "promptyard-audit-ch')
    result = audit.verify(core)
    assert not result.ok
    assert "unreadable" in (result.reason or "")


def test_no_checkpoint_yet_is_ok_and_says_so(core: Core) -> None:
    _writes(core)
    result = audit.verify(core)
    assert result.ok and result.checkpoint is None


# -- the key, the file, the signature as an outsider checks it -------------------------


def test_key_and_file_in_the_data_folder(core: Core) -> None:
    _writes(core)
    checkpoint, _ = audit_checkpoints.create_checkpoint(core)
    key_file = Path(core.settings.data_dir) / "audit-signing.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    path = Path(core.settings.data_dir) / "backups" / "audit-checkpoints.jsonl"
    [line] = path.read_text().splitlines()
    assert json.loads(line) == checkpoint
    again, created = audit_checkpoints.create_checkpoint(core)
    assert not created and again == checkpoint  # the head did not move
    assert len(path.read_text().splitlines()) == 1
    listed = audit_checkpoints.list_checkpoints(core)
    assert listed["key_id"] == checkpoint["key_id"]
    assert listed["public_key"] == checkpoint["public_key"]
    assert listed["items"] == [checkpoint]


def test_an_outsider_checks_a_checkpoint_without_the_server(core: Core) -> None:
    """The recipe of docs/security.md, with nothing but the checkpoint and cryptography."""
    _writes(core)
    checkpoint, _ = audit_checkpoints.create_checkpoint(core)
    raw = base64.b64decode(checkpoint["public_key"])
    message = json.dumps(
        {name: checkpoint[name] for name in ("format", "seq", "hash", "created_at", "key_id")},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    public = Ed25519PublicKey.from_public_bytes(raw)
    public.verify(base64.b64decode(checkpoint["signature"]), message)  # raises if forged
    assert hashlib.sha256(raw).hexdigest()[:16] == checkpoint["key_id"]


def test_key_given_by_a_setting(core: Core, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "elsewhere" / "audit.pem"
    path.parent.mkdir()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    core.settings = core.settings.model_copy(update={"audit_signing_key_file": path})
    _writes(core)
    checkpoint, _ = audit_checkpoints.create_checkpoint(core)
    assert checkpoint["key_id"] == audit_signing.SigningKey(key).key_id
    assert not (Path(core.settings.data_dir) / "audit-signing.key").exists()
    missing = core.settings.model_copy(update={"audit_signing_key_file": tmp_path / "nope.pem"})
    with pytest.raises(audit_signing.SigningKeyUnavailable):
        audit_signing.load_signing_key(missing)


# -- publication: periodic, webhooks, export --------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_checkpointer_publishes_by_count_and_by_time(core: Core) -> None:
    clock = Clock()
    core.clock = clock
    core.settings = core.settings.model_copy(
        update={"audit_checkpoint_events": 5, "audit_checkpoint_minutes": 30}
    )
    checkpointer = audit_checkpoints.Checkpointer(core)
    _writes(core, count=1)
    first = checkpointer.step()  # none yet: published at once
    assert first is not None and first["seq"] == _head(core)[0]
    assert checkpointer.step() is None  # nothing new
    _writes(core, count=1, name="b")  # 2 events: below the count, before the time
    assert checkpointer.step() is None
    clock.now += timedelta(minutes=30)
    by_time = checkpointer.step()
    assert by_time is not None and by_time["seq"] == _head(core)[0]
    _writes(core, count=3, name="c")  # 4 events
    assert checkpointer.step() is None
    _writes(core, count=0, name="d")  # the 5th
    by_count = checkpointer.step()
    assert by_count is not None and by_count["seq"] == by_time["seq"] + 5
    path = audit_signing.checkpoints_path(core.settings)
    assert len(path.read_text().splitlines()) == 3


def test_checkpoint_is_sent_to_subscribed_webhooks(core: Core) -> None:
    ctx = _ctx(core)
    webhooks.create_webhook(
        core,
        ctx=ctx,
        project_id=project_id(core),
        data=webhooks.WebhookCreate(url="https://audit.example/hook", events=["audit.checkpoint"]),
    )
    webhooks.create_webhook(
        core,
        ctx=ctx,
        project_id=project_id(core),
        data=webhooks.WebhookCreate(
            url="https://reviews.example/hook", events=["change_request.opened"]
        ),
    )
    checkpoint, _ = audit_checkpoints.create_checkpoint(core)
    received: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        received.append({"url": str(request.url), "body": json.loads(request.content)})
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        assert webhooks.deliver_due(core, http=http) == 1
    [hit] = received
    assert hit["url"] == "https://audit.example/hook"
    assert hit["body"]["event"] == "audit.checkpoint"
    assert hit["body"]["data"] == checkpoint
    # What the receiver kept proves a later cut.
    _truncate(core, checkpoint["seq"] - 1)
    result = audit.verify(core, checkpoint=hit["body"]["data"])
    assert not result.ok and "truncated" in (result.reason or "")


def test_unwritable_backup_area_is_a_clear_error(
    core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    _writes(core)
    (Path(core.settings.data_dir) / "backups").write_text("not a folder")
    with pytest.raises(audit_signing.CheckpointFileUnwritable) as caught:
        audit_checkpoints.create_checkpoint(core)
    assert "audit-checkpoints.jsonl" in caught.value.message
    checkpointer = audit_checkpoints.Checkpointer(core)
    with caplog.at_level("ERROR", logger="promptyard.audit"):
        assert checkpointer.step() is None
        assert checkpointer.step() is None  # waits before trying again: logged once
    assert len([r for r in caplog.records if "not published" in r.message]) == 1
