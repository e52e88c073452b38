"""The prompt write path: how few statements a write takes, and that the shortcuts it
takes (the audit head hint, preloaded rows) keep every guarantee."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import Conflict
from promptyard.domain.schemas import BranchCreate, ListQuery, PromptCreate, PromptUpdate
from promptyard.services.context import Core
from promptyard.services.identity.auth import authenticate_api_key
from promptyard.services.operations import audit
from promptyard.services.prompts import branches, registry, search, versions
from promptyard.store.engine import Store
from tests._statements import statements
from tests.conftest import API_KEY


def _ctx(core: Core) -> RequestContext:
    return RequestContext(actor=authenticate_api_key(core, API_KEY), request_id="w", ip=None)


def _create(core: Core, name: str = "greeting") -> None:
    registry.create_prompt(
        core,
        ctx=_ctx(core),
        project_id=1,
        data=PromptCreate(name=name, content="Hello {{ name }}"),
    )


def _update(core: Core, content: str, **fields: object) -> None:
    registry.update_prompt(
        core,
        ctx=_ctx(core),
        project_id=1,
        name="greeting",
        data=PromptUpdate(content=content, **fields),  # type: ignore[arg-type]
    )


def test_a_version_and_a_label_move_take_few_statements(core: Core) -> None:
    _create(core)
    _update(core, "Hello {{ name }}, again")  # the audit head is known from here on
    with statements(core) as seen:
        _update(core, "Hello {{ name }}, once more")
    # BEGIN; prompt, branch, head and labels; version, prompt, branch, latest label and
    # its event; the webhooks subscribed to prompt events (one indexed read); audit head
    # and event. No other SELECT after the first write. PostgreSQL locks the prompt with a
    # statement of its own, and has no BEGIN statement.
    lock = 0 if core.store.is_sqlite else 1
    assert len(seen) <= 10, seen
    first_write = next(i for i, sql in enumerate(seen) if not sql.startswith(("SELECT", "BEGIN")))
    late_reads = [sql for sql in seen[first_write:] if sql.startswith("SELECT")]
    assert len(late_reads) <= 1 and "FROM webhooks" in late_reads[0], seen
    with statements(core) as seen:
        versions.set_label(
            core, ctx=_ctx(core), project_id=1, name="greeting", label="production", version=2
        )
    assert len(seen) <= 9, seen
    # The label guard's policy; the prompt, target version and label row; the webhooks
    # subscribed to prompt events.
    assert sum(sql.startswith("SELECT") for sql in seen) <= 3 + lock, seen


def test_the_audit_chain_survives_a_stale_head_hint(core: Core) -> None:
    """Another process appends (this one's hint is stale), a transaction rolls back after
    appending (the hint names a head that never committed): the chain stays linear."""
    _create(core)
    other = Store(core.store.url)
    try:
        other_core = Core(store=other, settings=core.settings, templates=core.templates)
        _update(other_core, "Hello {{ name }} from elsewhere")  # this core's hint is stale now
        _update(core, "Hello {{ name }} from here")
        with pytest.raises(RuntimeError), core.store.write() as session:
            audit.append(
                core, session, ctx=_ctx(core), action="test.undone", object_type="x", object_id="1"
            )
            raise RuntimeError("roll back after appending")
        _update(core, "Hello {{ name }} after the rollback")
        _update(other_core, "Hello {{ name }} from elsewhere again")
    finally:
        other.dispose()
    result = audit.verify(core)
    assert result.ok, result
    with core.store.read() as session:
        actions = session.execute(text("SELECT action FROM audit_events ORDER BY seq")).all()
    assert [row.action for row in actions].count("prompt.update") == 4
    assert "test.undone" not in [row.action for row in actions]


def test_a_tampered_head_is_read_again_not_trusted(core: Core) -> None:
    _create(core)
    _update(core, "Hello {{ name }} #1")
    seq, _ = audit.head(core)
    with core.store.write() as session:  # someone rewrites the head row by hand
        session.execute(text("UPDATE audit_head SET hash = :bogus"), {"bogus": "f" * 64})
    _update(core, "Hello {{ name }} #2")
    # The append linked to the head row as it is (not to the hint), so verify names it.
    result = audit.verify(core)
    assert not result.ok
    assert result.first_broken_seq == seq + 1


def test_optimistic_concurrency_still_refuses_a_stale_base(core: Core) -> None:
    _create(core)
    _update(core, "Hello {{ name }} #1", base_version=1)
    with pytest.raises(Conflict) as caught:
        _update(core, "Hello {{ name }} #2", base_version=1)
    assert caught.value.details["current"] == 2


def test_field_changes_on_a_branch_commit_reach_the_search_index(core: Core) -> None:
    _create(core)
    branches.create_branch(
        core,
        ctx=_ctx(core),
        project_id=1,
        name="greeting",
        data=BranchCreate(name="draft", from_version=1),
    )
    _update(core, "Hello {{ name }} on a branch", branch="draft", tags=["zebrafish"])
    found = search.list_prompts(core, project_id=1, query=ListQuery(q="zebrafish"))
    assert [item.name for item in found.items] == ["greeting"]


def test_concurrent_writers_in_one_process_lose_nothing(core: Core) -> None:
    for index in range(4):
        _create(core, f"p{index}")
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            for step in range(10):
                registry.update_prompt(
                    core,
                    ctx=_ctx(core),
                    project_id=1,
                    name=f"p{index}",
                    data=PromptUpdate(content=f"v{step} {{{{ x }}}}"),
                )
                versions.set_label(
                    core,
                    ctx=_ctx(core),
                    project_id=1,
                    name=f"p{index}",
                    label="production",
                    version=step + 2,
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for index in range(4):
        prompt = registry.get_prompt(core, project_id=1, name=f"p{index}")
        assert prompt.latest_version == 11
        assert prompt.labels["production"] == 11
    assert audit.verify(core).ok
