"""Limits of JSON values: how deep a request body and a stored value may nest.

Two caps, both documented in ``docs/security.md`` ("Request limits"):

- :data:`MAX_JSON_DEPTH` (32 levels) for every JSON request body, checked at the edge
  before any route logic runs (``json_too_deep``, 422);
- :data:`MAX_STORED_JSON_DEPTH` (24 levels) for each JSON value the server stores and
  serves back (prompt metadata, model config, sample variables). Every read wraps such a
  value a few levels deeper (an export nests a version's config 5 levels down), so the
  stored cap leaves room for that: whatever was accepted can be read, exported and
  imported again.

Depth is measured by :func:`json_depth`, iteratively, so no input can exhaust a
recursion limit. Stored values must also survive a round trip through orjson, the
serializer every read uses (:func:`stored_json_problem`).

orjson is the one dependency here beyond the standard library: the check must use the
very serializer the reads use, or it would not prove anything about them.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import orjson

#: Deepest nesting of a JSON request body (``{"a": {}}`` is 2 levels deep).
MAX_JSON_DEPTH = 32
#: Deepest nesting of one stored JSON value (metadata, config, sample variables).
MAX_STORED_JSON_DEPTH = 24


def json_depth(value: Any, limit: int | None = None) -> int:
    """How deep parsed JSON nests: 0 for a scalar, 1 for a flat list or object.

    Iterative, level by level (no recursion limit applies). With ``limit``, stops as soon
    as the depth is known to exceed it and returns ``limit + 1``.
    """
    if not isinstance(value, dict | list):
        return 0
    level: list[Any] = [value]
    depth = 0
    while level:
        depth += 1
        if limit is not None and depth > limit:
            return limit + 1
        below: list[Any] = []
        append = below.append
        for item in level:
            for child in item.values() if isinstance(item, dict) else item:
                kind = type(child)
                if (
                    kind is dict
                    or kind is list
                    or (kind not in _SCALARS and isinstance(child, dict | list))
                ):
                    append(child)
        level = below
    return depth


_SCALARS = frozenset({str, int, float, bool, type(None)})


def too_deep_message(limit: int = MAX_JSON_DEPTH) -> str:
    return (
        f"the JSON body is nested more than {limit} levels deep; "
        f"the limit is {limit} levels (see 'Request limits' in docs/security.md)"
    )


def stored_json_problem(value: Any) -> str | None:
    """Why ``value`` cannot be stored and served back as JSON, or None when it can.

    It must nest at most :data:`MAX_STORED_JSON_DEPTH` levels and come back unchanged
    from orjson, the serializer of every read and export.
    """
    if json_depth(value, MAX_STORED_JSON_DEPTH) > MAX_STORED_JSON_DEPTH:
        return (
            f"is nested more than {MAX_STORED_JSON_DEPTH} levels deep (the limit for stored JSON)"
        )
    try:
        back = orjson.loads(orjson.dumps(value))
    except (orjson.JSONEncodeError, orjson.JSONDecodeError) as exc:
        return f"cannot be serialized as JSON ({exc})"
    if back != value:
        return "does not read back unchanged from JSON"
    return None


def check_stored_json(value: Any, what: str) -> None:
    """Raise ValueError naming ``what`` when ``value`` cannot be stored (see above)."""
    problem = stored_json_problem(value)
    if problem:
        raise ValueError(f"{what} {problem}")


# -- bodies the edge has already checked ------------------------------------------------

_CHECKED: ContextVar[object] = ContextVar("promptyard_checked_json", default=None)


def mark_checked(value: object) -> None:
    """Record that this very object (a parsed request body) passed the storable checks.

    The HTTP edge checks large bodies in a worker thread; the request models then skip
    walking the same object again on the event loop. Only this object, by identity, in
    this request's context.
    """
    _CHECKED.set(value)


def was_checked(value: object) -> bool:
    return value is not None and _CHECKED.get() is value
