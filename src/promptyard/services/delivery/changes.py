"""What changed, read from the audit chain: prompt changes for the change stream, and the
caches every server process must drop when another process wrote.

Every write appends an audit event in its own transaction, with a sequence number that
grows in commit order (appends lock the chain's head row until they commit). So a
reader that remembers the last sequence number it saw and asks for the ones after it
misses nothing and adds nothing to the write path. That sequence number is the change
stream's event id.

:func:`read_after` turns events into :class:`Change` records (an audit summary names the
prompt but not its project: the project is read from the prompt's row), and
:func:`invalidate` drops what those events make stale in this process's caches
(``core.cache`` per prompt, ``core.actors`` for keys, members and roles), so several
processes on one database serve the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from promptyard.services.context import Core
from promptyard.services.governance.policy import policy_key
from promptyard.services.operations import audit
from promptyard.services.prompts.lookup import project_slug, prompt_key
from promptyard.store.engine import Store
from promptyard.store.models import SqlAuditEvent, SqlAuditHead, SqlPrompt

#: Audit actions that are change-stream events, and their ``kind``.
KINDS: dict[str, str] = {
    "prompt.create": "created",
    "prompt.update": "version",
    "prompt.rollback": "version",
    "branch.merge": "version",
    "label.move": "label",
    "label.delete": "label",
    "prompt.delete": "deleted",
    "prompt.restore": "restored",
    "prompt.lifecycle": "lifecycle",
    "prompt.bulk_delete": "deleted",
    "prompt.bulk_restore": "restored",
    "prompt.bulk_label": "label",
    "prompt.bulk_tag": "version",
    "prompt.bulk_untag": "version",
    "prompt.bulk_move": "version",
}
#: Prompt actions that change no served answer but are still dropped from the caches.
_PROMPT_CACHE_ONLY = frozenset({"branch.create", "branch.delete"})
#: Actions after which cached actors (keys, sessions, roles, project ids) may be wrong.
_ACTOR_PREFIXES = ("key.", "member.", "project_member.", "user.", "workspace.", "auth.")
_ACTOR_HARMLESS = frozenset({"key.create", "auth.sign_in", "auth.sign_in_failed", "user.create"})
#: Actions after which any prompt of a project may have changed.
_PROJECT_WIDE = frozenset({"project.import"})


@dataclass(frozen=True, slots=True)
class Change:
    """One change-stream event (``data`` is its JSON, serialized once for every reader)."""

    id: int
    project_id: int
    kind: str
    data: bytes


@dataclass
class Batch:
    """What :func:`read_after` found: stream events and what to drop from the caches."""

    last: int
    changes: list[Change] = field(default_factory=list)
    prompts: set[tuple[int, str]] = field(default_factory=set)
    #: Of ``prompts``, those another process wrote: this one's cache may hold them stale.
    stale_prompts: set[tuple[int, str]] = field(default_factory=set)
    actors: bool = False
    everything: bool = False
    #: Projects whose review policy changed (the label guard caches it).
    policies: set[int] = field(default_factory=set)


def reader_store(core: Core) -> Store:
    """A store of its own on the Core's database, for the poller: one connection of its
    own, never one the requests wait for (the Core's store for an in-memory database,
    which only it can see)."""
    url = make_url(core.store.url)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return core.store
    return Store(core.store.url)


def head(core: Core, *, store: Store | None = None) -> int:
    """The sequence number of the newest audit event (0 when there is none).

    ``store``: read through another store of the same database (the poller's own, so
    its reads never wait for, or count among, the requests' connections)."""
    with (store or core.store).read() as session:
        seq = session.execute(select(SqlAuditHead.seq).where(SqlAuditHead.id == 1)).scalar()
    return int(seq or 0)


_COLUMNS = (
    SqlAuditEvent.seq,
    SqlAuditEvent.action,
    SqlAuditEvent.object_id,
    SqlAuditEvent.summary,
    SqlAuditEvent.hash,
    SqlAuditEvent.created_at,
)


def read_after(
    core: Core,
    after: int,
    *,
    limit: int = 1000,
    upto: int | None = None,
    stream_only: bool = False,
    store: Store | None = None,
) -> Batch:
    """The events after sequence number ``after`` (at most ``limit``, none past ``upto``).

    ``stream_only`` reads only the actions that are stream events (a replay), which the
    caches do not need.
    """
    query = select(*_COLUMNS).where(SqlAuditEvent.seq > after)
    if upto is not None:
        query = query.where(SqlAuditEvent.seq <= upto)
    if stream_only:
        query = query.where(SqlAuditEvent.action.in_(KINDS))
    with (store or core.store).read() as session:
        rows = session.execute(query.order_by(SqlAuditEvent.seq).limit(limit)).all()
        batch = Batch(last=int(rows[-1][0]) if rows else after)
        if stream_only and len(rows) < limit and upto is not None:
            batch.last = upto  # the events in between were not stream events
        prompts = _projects_of(session, rows)
        for seq, action, object_id, summary, event_hash, created_at in rows:
            # this process's own writes already dropped what they made stale
            local = audit.written_here(core, int(seq), event_hash)
            _add(
                core,
                session,
                batch,
                prompts,
                int(seq),
                action,
                object_id,
                summary,
                created_at,
                local=local,
            )
    return batch


def _prompt_ids(action: str, object_id: str) -> list[int]:
    parts = object_id.split(",") if action.startswith("prompt.bulk_") else [object_id]
    # a bulk action's id list is cut at 200 characters: its last id may be partial
    return [int(part) for part in parts[:1] + parts[1:-1] if part.isdigit()]


def _projects_of(session: Session, rows: Sequence[Any]) -> dict[int, int]:
    """``{prompt id: project id}`` of the prompts the stream events name."""
    wanted = {
        prompt_id
        for _seq, action, object_id, _summary, _hash, _at in rows
        if action in KINDS or action in _PROMPT_CACHE_ONLY
        for prompt_id in _prompt_ids(action, object_id)[:1]
    }
    if not wanted:
        return {}
    found = session.execute(
        select(SqlPrompt.id, SqlPrompt.project_id).where(SqlPrompt.id.in_(wanted))
    )
    return {int(prompt_id): int(project_id) for prompt_id, project_id in found}


def _add(
    core: Core,
    session: Session,
    batch: Batch,
    prompts: dict[int, int],
    seq: int,
    action: str,
    object_id: str,
    summary: dict[str, Any],
    created_at: datetime,
    *,
    local: bool = False,
) -> None:
    """Add the event's stream changes and the prompts it touched to ``batch``; those
    prompts are stale here only if the event is not ``local`` (written by this process,
    which dropped them from its cache itself, at once)."""
    _add_stale(batch, action, object_id, local=local)
    kind = KINDS.get(action)
    if kind is None and action not in _PROMPT_CACHE_ONLY:
        return
    ids = _prompt_ids(action, object_id)
    project_id = prompts.get(ids[0]) if ids else None
    if project_id is None:
        return  # not a prompt we can place (should not happen: prompts are never removed)
    names = summary.get("names") if action.startswith("prompt.bulk_") else [summary.get("name")]
    for name in names or []:
        if not isinstance(name, str):
            continue
        batch.prompts.add((project_id, name))
        if not local:
            batch.stale_prompts.add((project_id, name))
        if kind is None:
            continue
        version, label = _version_and_label(action, summary)
        data = {
            "id": seq,
            "project": project_slug(core, session, project_id),
            "name": name,
            "kind": kind,
            "version": version,
            "label": label,
            "at": created_at.isoformat(),
        }
        batch.changes.append(Change(seq, project_id, kind, orjson.dumps(data)))


def _add_stale(batch: Batch, action: str, object_id: str, *, local: bool) -> None:
    # actors: also for this process's own changes, so its open streams check their
    # callers again (a revoked key loses its stream)
    if action.startswith(_ACTOR_PREFIXES) and action not in _ACTOR_HARMLESS:
        batch.actors = True
    if action in _PROJECT_WIDE:
        batch.everything = True
    if action == "policy.update" and object_id.isdigit() and not local:
        batch.policies.add(int(object_id))


def _version_and_label(action: str, summary: dict[str, Any]) -> tuple[int | None, str | None]:
    """The version a change made or pointed a label at (None when it names none)."""
    label = summary.get("label") if action.startswith(("label.", "prompt.bulk_label")) else None
    if action == "label.move":
        version = summary.get("to")
    elif action in ("prompt.create", "prompt.update", "prompt.rollback", "branch.merge"):
        version = summary.get("version")
    else:
        version = None
    return (version if isinstance(version, int) else None), label


def invalidate(core: Core, batch: Batch) -> None:
    """Drop from this process's caches what the events of ``batch`` made stale."""
    if batch.everything:
        core.cache.clear()
    else:
        for project_id, name in batch.stale_prompts:
            core.cache.invalidate(prompt_key(project_id, name))
    for project_id in batch.policies:
        core.cache.invalidate(policy_key(project_id))
    if batch.actors:
        core.actors.clear()


def visible(changes: Iterable[Change], projects: frozenset[int]) -> list[Change]:
    """The changes of ``changes`` in one of ``projects``."""
    return [change for change in changes if change.project_id in projects]
