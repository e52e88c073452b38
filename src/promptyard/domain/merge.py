"""Three-way merge of prompt versions (base, ours, theirs).

``ours`` is the branch being merged into (for example ``main``), ``theirs`` the branch
being merged, ``base`` their common ancestor.

Sequences (diff3)
    :func:`merge_sequences` matches base against ours and base against theirs with
    :class:`difflib.SequenceMatcher` (``autojunk=False``). Base ranges matched on *both*
    sides are stable and copied; the gaps between them are unstable chunks. A chunk
    that one side left as in base takes the other side's version; a chunk both sides
    changed identically is taken once; anything else is a conflict. As in git, edits on
    adjacent lines conflict.

Text
    :func:`merge_text` runs diff3 over lines (split on ``\\n``, line ends kept).

Messages
    :func:`merge_messages` runs diff3 over whole messages, frozen to hashable values. A
    conflicting chunk in which all three sides have the same number of messages with the
    same roles, position by position (typically: both sides edited the same message),
    is merged message by message: ``content`` with :func:`merge_text`, any other key as a
    value. The chunk is accepted only if every message merges cleanly.

Config
    :func:`merge_config` merges key by key: a key changed on one side takes that side,
    changed identically on both is fine, deleted on one side and untouched on the other
    is deleted. When the key holds a dict on all three sides the merge recurses, so
    ``provider.a`` on one side and ``provider.b`` on the other merge; conflicts name the
    dotted path. Values are compared as JSON (``True`` is not ``1``).

Versions
    :func:`merge_contents` decides the type first (a type change is taken only when the
    other side left the content alone), then merges the content and the config. Nothing
    is ever resolved by preferring one side: every disagreement is a conflict.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeVar

from promptyard.domain.diff import CONTENT_TYPES, freeze, split_lines
from promptyard.domain.errors import ValidationFailed

__all__ = [
    "ConflictRegion",
    "MergeResult",
    "merge_config",
    "merge_contents",
    "merge_messages",
    "merge_sequences",
    "merge_text",
]

T = TypeVar("T", bound=Hashable)

Where = Literal["content", "messages", "config"]

#: ``(base_start, ours_start, theirs_start, base_chunk, ours_chunk, theirs_chunk)``, 0-based.
RawConflict = tuple[int, int, int, list[T], list[T], list[T]]


@dataclass(frozen=True)
class ConflictRegion:
    """One place where both sides changed the same thing differently.

    Starts are, in each version: for ``content`` the 1-based number of the first line of
    the chunk (for an empty chunk, of the line it would come before); for ``messages`` the
    0-based index of the first message (same rule for an empty chunk); for ``config`` 0.
    ``base``/``ours``/``theirs`` hold the chunk: a list of lines (``content``), a list of
    messages (``messages``) or the value (``config``, ``None`` when the key is absent).
    A conflict on the prompt type is ``where="content"``, ``path="type"``, each side
    ``{"type": ..., "content": ...}``.
    """

    where: Where
    base_start: int
    ours_start: int
    theirs_start: int
    base: Any
    ours: Any
    theirs: Any
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MergeResult:
    """The merged version, or where it could not be merged.

    ``content`` is ``None`` when the content (or the type) conflicts and ``config`` is
    ``None`` when the config conflicts; each is merged independently so a caller can
    show what did merge. ``type`` is the merged prompt type, ``None`` when it conflicts.
    Save only when :attr:`ok`.
    """

    content: str | list[dict[str, Any]] | None
    config: dict[str, Any] | None
    conflicts: list[ConflictRegion] = field(default_factory=list)
    type: str | None = None

    @property
    def ok(self) -> bool:
        return not self.conflicts

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "type": self.type,
            "content": self.content,
            "config": self.config,
            "conflicts": [conflict.to_dict() for conflict in self.conflicts],
        }


# ------------------------------------------------------------------------------ diff3


@dataclass(frozen=True)
class _Chunk:
    """A run of the three sequences, as half-open ranges, and how it resolves."""

    base: tuple[int, int]
    ours: tuple[int, int]
    theirs: tuple[int, int]
    take: Literal["ours", "theirs", "conflict"]


def _sync_regions(
    base: Sequence[T], ours: Sequence[T], theirs: Sequence[T]
) -> Iterator[tuple[int, int, int, int]]:
    """Base ranges matched on both sides: ``(base_start, base_end, ours_start, theirs_start)``.

    Ends with an empty region at the end of all three sequences.
    """
    ours_blocks = difflib.SequenceMatcher(None, base, ours, autojunk=False).get_matching_blocks()
    theirs_blocks = difflib.SequenceMatcher(
        None, base, theirs, autojunk=False
    ).get_matching_blocks()
    o = t = 0
    while o < len(ours_blocks) and t < len(theirs_blocks):
        o_base, o_side, o_len = ours_blocks[o]
        t_base, t_side, t_len = theirs_blocks[t]
        start, end = max(o_base, t_base), min(o_base + o_len, t_base + t_len)
        if start < end:
            yield start, end, o_side + start - o_base, t_side + start - t_base
        if o_base + o_len < t_base + t_len:
            o += 1
        else:
            t += 1
    yield len(base), len(base), len(ours), len(theirs)


def _chunks(base: Sequence[T], ours: Sequence[T], theirs: Sequence[T]) -> Iterator[_Chunk]:
    b = o = t = 0
    for b_start, b_end, o_start, t_start in _sync_regions(base, ours, theirs):
        if b < b_start or o < o_start or t < t_start:
            base_part = list(base[b:b_start])
            ours_part = list(ours[o:o_start])
            theirs_part = list(theirs[t:t_start])
            take: Literal["ours", "theirs", "conflict"]
            if ours_part == base_part:
                take = "theirs"
            elif theirs_part == base_part or ours_part == theirs_part:
                take = "ours"
            else:
                take = "conflict"
            yield _Chunk((b, b_start), (o, o_start), (t, t_start), take)
        length = b_end - b_start
        if length:
            yield _Chunk(
                (b_start, b_end), (o_start, o_start + length), (t_start, t_start + length), "ours"
            )
        b, o, t = b_end, o_start + length, t_start + length


def merge_sequences(
    base: Sequence[T], ours: Sequence[T], theirs: Sequence[T]
) -> tuple[list[T] | None, list[RawConflict[T]]]:
    """Classic diff3 merge of hashable items.

    Returns ``(merged, [])`` or ``(None, conflicts)``; each conflict is
    ``(base_start, ours_start, theirs_start, base_chunk, ours_chunk, theirs_chunk)`` with
    0-based starts.
    """
    merged: list[T] = []
    conflicts: list[RawConflict[T]] = []
    for chunk in _chunks(base, ours, theirs):
        if chunk.take == "ours":
            merged.extend(ours[slice(*chunk.ours)])
        elif chunk.take == "theirs":
            merged.extend(theirs[slice(*chunk.theirs)])
        else:
            conflicts.append(
                (
                    chunk.base[0],
                    chunk.ours[0],
                    chunk.theirs[0],
                    list(base[slice(*chunk.base)]),
                    list(ours[slice(*chunk.ours)]),
                    list(theirs[slice(*chunk.theirs)]),
                )
            )
    return (None if conflicts else merged), conflicts


# ------------------------------------------------------------------------------- text


def merge_text(base: str, ours: str, theirs: str) -> tuple[str | None, list[ConflictRegion]]:
    """Line-based three-way merge; conflicts carry 1-based line numbers and line lists."""
    merged, raw = merge_sequences(split_lines(base), split_lines(ours), split_lines(theirs))
    if merged is not None:
        return "".join(merged), []
    return None, [
        ConflictRegion("content", b + 1, o + 1, t + 1, base_lines, ours_lines, theirs_lines)
        for b, o, t, base_lines, ours_lines, theirs_lines in raw
    ]


# --------------------------------------------------------------------------- messages


def _slot(message: Mapping[str, Any]) -> Hashable:
    if message.get("type") == "placeholder":
        return ("placeholder",)
    return ("message", message.get("role"))


_ABSENT: Any = object()


def _merge_value(base: Any, ours: Any, theirs: Any) -> tuple[bool, Any]:
    """Three-way merge of one value (``_ABSENT`` for a missing key): ``(clean, value)``."""
    if freeze(ours) == freeze(theirs) or freeze(theirs) == freeze(base):
        return True, ours
    if freeze(ours) == freeze(base):
        return True, theirs
    return False, None


def _merge_message(
    base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Merge one message edited on both sides, or ``None`` if any part conflicts."""
    merged: dict[str, Any] = {}
    for key in {**ours, **theirs, **base}:
        b, o, t = (side.get(key, _ABSENT) for side in (base, ours, theirs))
        if key == "content" and isinstance(b, str) and isinstance(o, str) and isinstance(t, str):
            text, conflicts = merge_text(b, o, t)
            if conflicts:
                return None
            value: Any = text
        else:
            clean, value = _merge_value(b, o, t)
            if not clean:
                return None
        if value is not _ABSENT:
            merged[key] = value
    return merged


def _merge_aligned(
    base: list[dict[str, Any]], ours: list[dict[str, Any]], theirs: list[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    """Merge a conflicting chunk position by position when the three sides line up."""
    if not (len(base) == len(ours) == len(theirs)) or not base:
        return None
    merged = []
    for b, o, t in zip(base, ours, theirs, strict=True):
        if not (_slot(b) == _slot(o) == _slot(t)):
            return None
        message = _merge_message(b, o, t)
        if message is None:
            return None
        merged.append(message)
    return merged


def merge_messages(
    base: list[dict[str, Any]], ours: list[dict[str, Any]], theirs: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]] | None, list[ConflictRegion]]:
    """Three-way merge of chat messages; see the module docstring."""
    sides = (base, ours, theirs)
    frozen = [[freeze(message) for message in side] for side in sides]
    merged: list[dict[str, Any]] = []
    conflicts: list[ConflictRegion] = []
    for chunk in _chunks(*frozen):
        if chunk.take == "ours":
            merged.extend(ours[slice(*chunk.ours)])
            continue
        if chunk.take == "theirs":
            merged.extend(theirs[slice(*chunk.theirs)])
            continue
        ranges = (chunk.base, chunk.ours, chunk.theirs)
        b, o, t = (side[slice(*where)] for side, where in zip(sides, ranges, strict=True))
        resolved = _merge_aligned(b, o, t)
        if resolved is not None:
            merged.extend(resolved)
        else:
            b, o, t = copy.deepcopy((b, o, t))
            conflicts.append(
                ConflictRegion("messages", chunk.base[0], chunk.ours[0], chunk.theirs[0], b, o, t)
            )
    if conflicts:
        return None, conflicts
    return copy.deepcopy(merged), []


# ----------------------------------------------------------------------------- config


def _merge_mapping(
    base: Mapping[str, Any],
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
    prefix: str,
    conflicts: list[ConflictRegion],
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key in {**ours, **theirs}:
        path = f"{prefix}{key}"
        b, o, t = (side.get(key, _ABSENT) for side in (base, ours, theirs))
        clean, value = _merge_value(b, o, t)
        if not clean and all(isinstance(v, Mapping) for v in (b, o, t)):
            clean, value = True, _merge_mapping(b, o, t, f"{path}.", conflicts)
        if not clean:
            b, o, t = (None if v is _ABSENT else copy.deepcopy(v) for v in (b, o, t))
            conflicts.append(ConflictRegion("config", 0, 0, 0, b, o, t, path=path))
        elif value is not _ABSENT:
            merged[key] = copy.deepcopy(value)
    return merged


def merge_config(
    base: Mapping[str, Any] | None, ours: Mapping[str, Any] | None, theirs: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, list[ConflictRegion]]:
    """Key-by-key three-way merge of configs; see the module docstring."""
    conflicts: list[ConflictRegion] = []
    merged = _merge_mapping(base or {}, ours or {}, theirs or {}, "", conflicts)
    return (None if conflicts else merged), conflicts


# --------------------------------------------------------------------------- versions


def _check(type: str, content: Any, side: str) -> None:
    if type not in CONTENT_TYPES:
        raise ValidationFailed(
            f"unknown prompt type {type!r} in {side}; expected 'text' or 'chat'",
            details={"side": side, "type": type},
        )
    if type == "text" and not isinstance(content, str):
        raise ValidationFailed(f"{side}: a text prompt's content must be a string")
    if type == "chat" and not (
        isinstance(content, list) and all(isinstance(m, Mapping) for m in content)
    ):
        raise ValidationFailed(f"{side}: a chat prompt's content must be a list of messages")


def merge_contents(
    type_base: str,
    content_base: str | list[dict[str, Any]],
    config_base: Mapping[str, Any] | None,
    type_ours: str,
    content_ours: str | list[dict[str, Any]],
    config_ours: Mapping[str, Any] | None,
    type_theirs: str,
    content_theirs: str | list[dict[str, Any]],
    config_theirs: Mapping[str, Any] | None,
) -> MergeResult:
    """Three-way merge of two versions against their common ancestor."""
    _check(type_base, content_base, "base")
    _check(type_ours, content_ours, "ours")
    _check(type_theirs, content_theirs, "theirs")
    config, conflicts = merge_config(config_base, config_ours, config_theirs)

    merged_type: str | None
    content: str | list[dict[str, Any]] | None
    if type_base == type_ours == type_theirs:
        merged_type = type_base
        if isinstance(content_base, str):
            assert isinstance(content_ours, str) and isinstance(content_theirs, str)
            content, content_conflicts = merge_text(content_base, content_ours, content_theirs)
        else:
            assert isinstance(content_ours, list) and isinstance(content_theirs, list)
            content, content_conflicts = merge_messages(content_base, content_ours, content_theirs)
        conflicts = content_conflicts + conflicts
    else:
        clean, picked = _merge_value(
            {"type": type_base, "content": content_base},
            {"type": type_ours, "content": content_ours},
            {"type": type_theirs, "content": content_theirs},
        )
        if clean:
            merged_type, content = picked["type"], copy.deepcopy(picked["content"])
        else:
            merged_type = content = None
            conflicts.insert(
                0,
                ConflictRegion(
                    "content",
                    1,
                    1,
                    1,
                    {"type": type_base, "content": copy.deepcopy(content_base)},
                    {"type": type_ours, "content": copy.deepcopy(content_ours)},
                    {"type": type_theirs, "content": copy.deepcopy(content_theirs)},
                    path="type",
                ),
            )
    return MergeResult(content=content, config=config, conflicts=conflicts, type=merged_type)
