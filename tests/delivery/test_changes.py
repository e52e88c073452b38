"""The change reader and the hub without a server: events of each write (bulk ones
too), cross-process invalidation by the poller's step, and slow subscribers dropped."""

from __future__ import annotations

import asyncio

import pytest

from promptyard.config import Settings
from promptyard.domain.errors import Conflict
from promptyard.domain.schemas import BulkAction, PromptCreate
from promptyard.services.context import Core
from promptyard.services.delivery import changes
from promptyard.services.delivery.stream import ChangeHub, StreamRequest, events
from promptyard.services.governance import policy
from promptyard.services.identity import accounts, auth
from promptyard.services.prompts import registry, versions
from promptyard.services.prompts.lookup import prompt_key
from promptyard.wiring import build_core
from promptyard.workers.changes import ChangePoller
from tests._factories import admin_context, project_id
from tests.conftest import API_KEY


def _create(core: Core, name: str) -> None:
    registry.create_prompt(
        core,
        ctx=admin_context(core),
        project_id=project_id(core),
        data=PromptCreate(name=name, content="x"),
    )


def test_bulk_writes_make_one_event_per_prompt(core: Core) -> None:
    for name in ("a", "b"):
        _create(core, name)
    start = changes.head(core)
    action = BulkAction(action="label", names=["a", "b"], label="production")
    registry.bulk(core, ctx=admin_context(core), project_id=project_id(core), action=action)
    batch = changes.read_after(core, start)
    assert [(c.kind, c.project_id) for c in batch.changes] == [("label", project_id(core))] * 2
    assert {c.id for c in batch.changes} == {start + 1}  # one write, one id
    assert batch.prompts == {(project_id(core), "a"), (project_id(core), "b")}


def test_the_poller_drops_what_another_process_wrote(core: Core, settings: Settings) -> None:
    """Two Cores on one database stand for two processes."""
    other = build_core(settings, entry_points=False)
    try:
        poller = ChangePoller(other, ChangeHub())
        poller.prime()
        _create(core, "p")
        versions.set_label(
            core,
            ctx=admin_context(core),
            project_id=project_id(core),
            name="p",
            label="production",
            version=1,
        )
        poller.step()
        key = prompt_key(project_id(core), "p")
        registry.get_prompt_json(other, project_id=project_id(core), name="p", label="production")
        assert other.cache.get(key, (None, "production")) is not None
        actor = auth.authenticate_api_key(other, API_KEY)
        assert other.actors.get(auth.hash_secret(API_KEY)) == actor
        versions.delete_label(
            core, ctx=admin_context(core), project_id=project_id(core), name="p", label="production"
        )
        assert poller.step() == 1
        assert other.cache.get(key, (None, "production")) is None
        assert other.actors.get(auth.hash_secret(API_KEY)) == actor  # a label: keys stay
        made = auth_key(core)
        assert poller.step() >= 1  # a key was created: harmless, nothing dropped
        assert other.actors.get(auth.hash_secret(API_KEY)) == actor
        accounts.revoke_key(core, ctx=admin_context(core), key_id=made)
        poller.step()
        assert other.actors.get(auth.hash_secret(API_KEY)) is None
    finally:
        other.store.dispose()


def auth_key(core: Core) -> int:
    created = accounts.create_key(core, ctx=admin_context(core), name="k", role="viewer")
    return int(created.key["id"])


def test_a_slow_subscriber_is_dropped_and_the_others_are_not() -> None:
    async def run() -> None:
        hub = ChangeHub(queue_size=2)
        hub.attach(asyncio.get_running_loop(), 0)
        slow = hub.subscribe(frozenset({1}))
        change = changes.Change(1, 1, "label", b"{}")
        for seq in range(1, 4):
            hub.publish([change], seq, False, False)
        assert slow not in hub.subscribers and hub.dropped == 1
        assert slow.queue.qsize() == 1  # only the end-of-stream marker left

        async def head() -> int:
            return 0

        async def replay(after: int, upto: int) -> tuple[list[changes.Change], int]:
            return [], upto

        async def allowed() -> frozenset[int]:
            return frozenset({1})

        request = StreamRequest(frozenset({1}), None, heartbeat=10, replay_limit=10)
        stream = events(hub, request, head=head, replay=replay, still_allowed=allowed)
        assert (await anext(stream)).startswith(b"event: ready")
        assert len(hub.subscribers) == 1
        await stream.aclose()  # the client went away
        assert not hub.subscribers

    asyncio.run(run())


def test_a_policy_change_reaches_the_label_guard_of_another_process(
    core: Core, settings: Settings
) -> None:
    """The label guard caches the project's policy; set_policy drops it in its own process,
    the poller (on ``policy.update``) in the others."""
    other = build_core(settings, entry_points=False)
    try:
        poller = ChangePoller(other, ChangeHub())
        poller.prime()
        _create(core, "p")

        def move(where: Core) -> None:
            versions.set_label(
                where,
                ctx=admin_context(where),
                project_id=project_id(core),
                name="p",
                label="production",
                version=1,
            )

        move(other)  # caches "no review"
        assert other.cache.get(policy.policy_key(project_id(core)), "policy") is not None
        move(core)
        policy.set_policy(
            core,
            ctx=admin_context(core),
            project_id=project_id(core),
            data=policy.PolicyUpdate.model_validate({"require_review": True}),
        )
        with pytest.raises(Conflict):
            move(core)
        poller.step()
        with pytest.raises(Conflict) as refused:
            move(other)
        assert refused.value.code == "review_required"
    finally:
        other.store.dispose()


def test_the_poller_keeps_what_this_process_wrote_and_dropped_itself(core: Core) -> None:
    """A write already dropped its prompt from this process's cache; the read that follows
    fills it again, and the poller must not throw that fresh entry away."""
    poller = ChangePoller(core, ChangeHub())
    poller.prime()
    _create(core, "own")
    key = prompt_key(project_id(core), "own")
    registry.get_prompt_json(core, project_id=project_id(core), name="own")
    assert core.cache.get(key, (None, None)) is not None
    assert poller.step() == 1  # the event is still streamed
    assert core.cache.get(key, (None, None)) is not None


def test_the_poller_keeps_the_policy_this_process_set(core: Core) -> None:
    """set_policy dropped the cached policy here itself; the label guard's next read caches
    the new one, and the poller must not drop it again."""
    poller = ChangePoller(core, ChangeHub())
    poller.prime()
    _create(core, "p")
    policy.set_policy(
        core,
        ctx=admin_context(core),
        project_id=project_id(core),
        data=policy.PolicyUpdate.model_validate({"require_review": False}),
    )
    versions.set_label(
        core,
        ctx=admin_context(core),
        project_id=project_id(core),
        name="p",
        label="production",
        version=1,
    )  # the guard caches the policy
    key = policy.policy_key(project_id(core))
    cached = core.cache.get(key, "policy")
    assert cached is not None
    poller.step()
    assert core.cache.get(key, "policy") is cached
