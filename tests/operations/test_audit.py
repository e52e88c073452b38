"""The audit chain: every write appends a linked event; tampering is detected."""

from __future__ import annotations

from sqlalchemy import text

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import PromptCreate, PromptUpdate
from promptyard.services.context import Core
from promptyard.services.identity.auth import authenticate_api_key
from promptyard.services.operations import audit
from promptyard.services.prompts import registry
from tests.conftest import API_KEY


def _writes(core: Core, count: int = 4) -> None:
    ctx = RequestContext(actor=authenticate_api_key(core, API_KEY), request_id="r1", ip="10.0.0.1")
    project_id = 1
    registry.create_prompt(
        core,
        ctx=ctx,
        project_id=project_id,
        data=PromptCreate(name="greeting", content="Hello {{ name }}"),
    )
    for index in range(count):
        registry.update_prompt(
            core,
            ctx=ctx,
            project_id=project_id,
            name="greeting",
            data=PromptUpdate(content=f"Hello {{{{ name }}}} #{index}"),
        )


def test_writes_are_attributed_and_chained(core: Core) -> None:
    _writes(core)
    result = audit.verify(core)
    assert result.ok, result
    with core.store.read() as session:
        last = session.execute(
            text("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        ).one()
    assert (result.head_seq, result.head_hash) == (last.seq, last.hash)
    with core.store.read() as session:
        rows = session.execute(
            text("SELECT actor, action, request_id, ip FROM audit_events ORDER BY seq")
        ).all()
    actions = [row.action for row in rows]
    assert actions.count("prompt.update") == 4
    assert "prompt.create" in actions
    update = next(row for row in rows if row.action == "prompt.update")
    assert update.actor == "key:bootstrap-admin"
    assert update.request_id == "r1"
    assert update.ip == "10.0.0.1"


def _tamper(core: Core, sql: str) -> audit.VerifyResult:
    _writes(core)
    assert audit.verify(core).ok
    with core.store.write() as session:
        session.execute(text(sql))
    return audit.verify(core)


def test_edited_event_is_detected(core: Core) -> None:
    result = _tamper(core, "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 4")
    assert not result.ok
    assert result.first_broken_seq == 4
    assert "hash" in (result.reason or "")


def test_deleted_event_is_detected(core: Core) -> None:
    result = _tamper(core, "DELETE FROM audit_events WHERE seq = 3")
    assert not result.ok
    assert result.first_broken_seq == 4


def test_reordered_events_are_detected(core: Core) -> None:
    _writes(core)
    with core.store.write() as session:
        session.execute(text("UPDATE audit_events SET seq = -1 WHERE seq = 3"))
        session.execute(text("UPDATE audit_events SET seq = 3 WHERE seq = 4"))
        session.execute(text("UPDATE audit_events SET seq = 4 WHERE seq = -1"))
    result = audit.verify(core)
    assert not result.ok
    assert result.first_broken_seq == 3


def test_truncated_tail_is_detected(core: Core) -> None:
    result = _tamper(
        core, "DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)"
    )
    assert not result.ok
    assert "head" in (result.reason or "")
