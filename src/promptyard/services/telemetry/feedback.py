"""End-user feedback: thumbs, a score, an NPS answer or a comment, tied to a generation,
a trace or a session."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import datetime

from promptyard.domain.errors import NotFound, TooManyRequests, ValidationFailed
from promptyard.services.context import Core
from promptyard.services.identity.auth import authenticate_feedback_key, hash_secret
from promptyard.services.prompts.lookup import project_slug
from promptyard.services.telemetry.events import FeedbackQuery, event_store
from promptyard.services.telemetry.generations import feedback_public
from promptyard.services.telemetry.metrics import COUNTERS
from promptyard.services.telemetry.schemas import (
    FeedbackInput,
    FeedbackPage,
    FeedbackPublic,
    PublicFeedbackInput,
)

_SCALES = {"0-1": (0.0, 1.0), "1-5": (1.0, 5.0)}


def _checked(feedback: FeedbackInput) -> tuple[float | None, str | None]:
    """The value and scale to store, or a ValidationFailed naming what is wrong."""
    if feedback.generation_id is None and feedback.trace_id is None and not feedback.session_id:
        raise ValidationFailed("feedback needs a generation_id, a trace_id or a session_id")
    value, kind = feedback.value, feedback.kind
    if kind == "comment":
        if not feedback.comment:
            raise ValidationFailed("comment: a comment feedback needs the comment")
        if value is not None:
            raise ValidationFailed("value: a comment feedback has no value")
        return None, None
    if value is None:
        raise ValidationFailed(f"value: {kind} feedback needs a value")
    if kind == "thumbs":
        if value not in (0, 1):
            raise ValidationFailed("value: thumbs is 1 (up) or 0 (down)")
        return value, None
    if kind == "nps":
        if value != int(value) or not 0 <= value <= 10:
            raise ValidationFailed("value: an NPS answer is a whole number from 0 to 10")
        return value, None
    scale = feedback.scale or "0-1"
    low, high = _SCALES[scale]
    if not low <= value <= high:
        raise ValidationFailed(f"value: a score on the {scale} scale is from {low:g} to {high:g}")
    return value, scale


def record_feedback(
    core: Core, project_id: int, feedback: FeedbackInput, *, source: str, actor_name: str
) -> FeedbackPublic:
    value, scale = _checked(feedback)
    events = event_store(core)
    if (
        feedback.generation_id is not None
        and events.generation(project_id, feedback.generation_id) is None
    ):
        raise NotFound(
            f"no generation {feedback.generation_id!r} in this project "
            "(report the generation before its feedback)"
        )
    row = events.append_feedback(
        {
            "project_id": project_id,
            "generation_id": feedback.generation_id,
            "trace_id": feedback.trace_id,
            "session_id": feedback.session_id,
            "kind": feedback.kind,
            "value": value,
            "scale": scale,
            "comment": feedback.comment,
            "user_id": feedback.user_id,
            "meta": feedback.metadata,
            "source": source,
            "created_by": actor_name,
            "created_at": core.clock(),
        }
    )
    with core.store.read() as session:
        slug = project_slug(core, session, project_id)
    COUNTERS.add_feedback(slug, feedback.kind)
    return feedback_public(row)


def list_feedback(
    core: Core,
    project_id: int,
    *,
    generation_id: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> FeedbackPage:
    after_id = None
    if cursor is not None:
        if not cursor.isdigit():
            raise ValidationFailed("cursor: pass next_cursor from the last page")
        after_id = int(cursor)
    rows = event_store(core).feedback(
        FeedbackQuery(project_id, generation_id, kind, since, until, after_id, limit + 1)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return FeedbackPage(
        items=[feedback_public(row) for row in rows],
        next_cursor=str(rows[-1].id) if more and rows else None,
    )


# -- from apps' web pages, with a feedback key --------------------------------------------

#: A feedback key is public (it sits in a web page): each client address may post this
#: many times a minute with it, and all of them together this many.
PER_CLIENT_PER_MINUTE = 60
PER_KEY_PER_MINUTE = 6000


class _MinuteCounter:
    """Requests per key in the current minute, for a bounded number of keys."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._counts: OrderedDict[tuple[str, ...], tuple[int, int]] = OrderedDict()
        self._max = max_keys
        self._lock = threading.Lock()

    def hit(self, key: tuple[str, ...], limit: int) -> float | None:
        """Count one request; the seconds to wait when over ``limit``, else None."""
        now = time.time()
        minute = int(now // 60)
        with self._lock:
            seen_minute, count = self._counts.get(key, (minute, 0))
            count = count + 1 if seen_minute == minute else 1
            self._counts[key] = (minute, count)
            self._counts.move_to_end(key)
            if len(self._counts) > self._max:
                self._counts.popitem(last=False)
        return 60 - now % 60 if count > limit else None


_COUNTER = _MinuteCounter()


def record_public_feedback(
    core: Core, body: PublicFeedbackInput, *, client: str | None
) -> FeedbackPublic:
    """Feedback from an app's page: the key names the project and can do nothing else."""
    project_id, key_ref = authenticate_feedback_key(core, body.key)
    key_hash = hash_secret(body.key)
    for scope, limit in (
        ((key_hash, client or "?"), PER_CLIENT_PER_MINUTE),
        ((key_hash,), PER_KEY_PER_MINUTE),
    ):
        wait = _COUNTER.hit(scope, limit)
        if wait is not None:
            raise TooManyRequests(
                "too much feedback from here with this key; try again in a minute",
                details={"retry_after": max(1, int(wait))},
            )
    feedback = FeedbackInput.model_validate(body.model_dump(exclude={"key"}))
    return record_feedback(core, project_id, feedback, source="page", actor_name=key_ref)
