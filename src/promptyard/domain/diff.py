"""Diffs between prompt versions, shaped for the web console.

Tokens
    :func:`tokenize` cuts text into runs of word characters, runs of blanks, one token
    per line break (``\\r\\n`` counts as one) and one token per other character.
    Combining marks, emoji modifiers, tag characters and zero-width-joiner sequences stay
    attached to the character before them, so an edit never splits a letter from its
    accent, a Devanagari consonant from its vowel sign, or an emoji sequence in two.
    ``"".join(tokenize(t)) == t`` always holds.

Word diff
    :func:`word_diff` runs :class:`difflib.SequenceMatcher` (``autojunk=False``) over the
    tokens. Its inner loop visits, for every old token, every position of that token in
    the new text, so common tokens (blanks, "the", ",") make it quadratic on big inputs.
    We therefore estimate that work first (sum over old tokens of their count in new).
    Under a budget we run SequenceMatcher directly. Over budget we trim the common prefix
    and suffix and anchor on tokens that occur exactly once on each side (the patience
    diff idea): the longest run of such pairs that is increasing on both sides splits
    the problem into smaller independent ones, each handled the same way. A range that
    is still over budget and has no anchor is reported as one delete plus one insert,
    which is correct but coarse. Adjacent spans of the same kind are merged, and every
    change between two equal spans is written as one delete followed by one insert.

Unified diff
    :func:`unified_diff` splits on ``\\n`` only (so ``\\r\\n`` lines keep their ``\\r``,
    as in git) and marks a last line without a line break with
    ``\\ No newline at end of file``.

Chat and config
    A chat version is diffed through :func:`content_to_text`, a canonical text form, and
    also message by message: messages are aligned with SequenceMatcher over their frozen
    (hashable) form, and within a replaced block paired by role. Configs are compared
    key by key, recursing into nested dicts, with JSON equality (``True`` differs from
    ``1``, ``1`` equals ``1.0``).
"""

from __future__ import annotations

import bisect
import difflib
import functools
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from promptyard.domain.errors import ValidationFailed

__all__ = [
    "Span",
    "content_to_text",
    "diff_config",
    "diff_contents",
    "freeze",
    "split_lines",
    "tokenize",
    "unified_diff",
    "word_diff",
]

SpanOp = Literal["equal", "insert", "delete"]
CONTENT_TYPES = ("text", "chat")

# Upper bound on SequenceMatcher's inner-loop steps before we switch to anchoring
# (about 50 ms of CPython work), and on the tokens the anchoring step may scan, as a
# multiple of the input size, before the rest is reported coarsely.
_MATCHER_BUDGET = 200_000
_ANCHOR_WORK_FACTOR = 20


@dataclass(frozen=True)
class Span:
    """A piece of a word diff: text kept (``equal``), added (``insert``) or removed."""

    op: SpanOp
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"op": self.op, "text": self.text}


# ---------------------------------------------------------------------------- tokens


def _char_class(codepoints: Iterable[int]) -> str:
    """Body of a regex character class matching exactly ``codepoints`` (sorted)."""
    parts: list[str] = []
    start = prev = -2
    for cp in [*codepoints, -2]:
        if cp == prev + 1:
            prev = cp
            continue
        if start >= 0:
            parts.append(f"\\U{start:08X}" if start == prev else f"\\U{start:08X}-\\U{prev:08X}")
        start = prev = cp
    return "".join(parts)


@functools.cache
def _token_pattern() -> re.Pattern[str]:
    """Compile the tokenizer once, on first use (scanning Unicode takes ~0.1 s)."""
    marks = _char_class(
        cp for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp))[0] == "M"
    )
    # Characters that extend the previous one: combining marks, emoji skin tones, tag
    # characters (flag sequences), and a zero-width joiner with the character it joins.
    extend = rf"(?:[{marks}\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F]|\u200d\S)"
    return re.compile(
        r"\r\n|[\r\n]"  # one token per line break
        r"|[^\S\r\n]+"  # a run of other whitespace
        rf"|(?:\w|{extend})+"  # a run of word characters
        rf"|(?:[\U0001F1E6-\U0001F1FF]{{2}}|[^\w\s]){extend}*"  # any other character
    )


def tokenize(text: str) -> list[str]:
    """Split ``text`` into word, whitespace, line-break and punctuation tokens.

    >>> tokenize("Hi,  {{ name }}!\\n")
    ['Hi', ',', '  ', '{', '{', ' ', 'name', ' ', '}', '}', '!', '\\n']
    """
    return _token_pattern().findall(text)


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, keeping line ends; ``"".join(split_lines(t)) == t``."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def freeze(value: Any) -> Hashable:
    """A hashable stand-in for a JSON-like value; equal iff the values are JSON-equal.

    Dicts compare regardless of key order, lists and tuples alike, and booleans differ
    from the numbers ``0`` and ``1`` (which Python would otherwise call equal).
    """
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda item: str(item[0]))
        return ("dict", tuple((key, freeze(item)) for key, item in items))
    if isinstance(value, list | tuple):
        return ("list", tuple(freeze(item) for item in value))
    if isinstance(value, bool):
        return ("bool", value)
    return value


# ------------------------------------------------------------------------- word diff


def word_diff(old: str, new: str) -> list[Span]:
    """Word-level diff: ``equal`` + ``delete`` spans spell ``old``, ``equal`` + ``insert``
    spans spell ``new``. See the module docstring for the algorithm."""
    raw: list[tuple[SpanOp, str]] = []
    if old == new:
        raw.append(("equal", old))
    else:
        _diff_tokens(tokenize(old), tokenize(new), raw)
    return _normalise(raw)


def _matcher_cost(a: Sequence[str], b: Sequence[str]) -> int:
    counts = Counter(b)
    return sum(counts[token] for token in a)


def _diff_tokens(a: list[str], b: list[str], out: list[tuple[SpanOp, str]]) -> None:
    """Append raw ``(op, text)`` pieces turning ``a`` into ``b`` to ``out``.

    Iterative (a stack of pending work) so deep anchoring cannot hit the recursion limit.
    A stack item is either a range ``(alo, ahi, blo, bhi)`` or a finished piece.
    """
    stack: list[tuple[int, int, int, int] | tuple[SpanOp, str]] = [(0, len(a), 0, len(b))]
    anchor_work_left = _ANCHOR_WORK_FACTOR * (len(a) + len(b))
    while stack:
        item = stack.pop()
        if len(item) == 2:
            out.append(item)
            continue
        alo, ahi, blo, bhi = item
        start = alo
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            alo, blo = alo + 1, blo + 1
        if alo > start:
            out.append(("equal", "".join(a[start:alo])))
        end = ahi
        while ahi > alo and bhi > blo and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
        if ahi < end:
            stack.append(("equal", "".join(a[ahi:end])))
        if alo == ahi or blo == bhi:
            out.append(("delete", "".join(a[alo:ahi])))
            out.append(("insert", "".join(b[blo:bhi])))
            continue
        a_part, b_part = a[alo:ahi], b[blo:bhi]
        if _matcher_cost(a_part, b_part) <= _MATCHER_BUDGET:
            matcher = difflib.SequenceMatcher(None, a_part, b_part, autojunk=False)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                if tag == "equal":
                    out.append(("equal", "".join(a_part[i1:i2])))
                else:
                    out.append(("delete", "".join(a_part[i1:i2])))
                    out.append(("insert", "".join(b_part[j1:j2])))
            continue
        anchor_work_left -= len(a_part) + len(b_part)
        anchors = _unique_anchors(a, b, alo, ahi, blo, bhi) if anchor_work_left >= 0 else []
        if not anchors:
            out.append(("delete", "".join(a_part)))
            out.append(("insert", "".join(b_part)))
            continue
        # Push in reverse so the pieces come off the stack in text order.
        pending: list[tuple[int, int, int, int] | tuple[SpanOp, str]] = []
        i_prev, j_prev = alo, blo
        for i, j in anchors:
            pending.append((i_prev, i, j_prev, j))
            pending.append(("equal", a[i]))
            i_prev, j_prev = i + 1, j + 1
        pending.append((i_prev, ahi, j_prev, bhi))
        stack.extend(reversed(pending))


def _unique_anchors(
    a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of tokens unique on both sides, longest chain increasing in both."""
    count_a = Counter(a[alo:ahi])
    count_b = Counter(b[blo:bhi])
    where_b = {b[j]: j for j in range(blo, bhi) if count_b[b[j]] == 1 and count_a.get(b[j]) == 1}
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi) if a[i] in where_b]
    # Longest increasing subsequence on j (patience sorting), pairs already sorted on i.
    tails: list[int] = []  # tails[k]: j of the smallest tail of a chain of length k + 1
    tail_index: list[int] = []  # index in pairs of that tail
    back: list[int] = []  # predecessor index in pairs, -1 for none
    for index, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_index.append(index)
        else:
            tails[k] = j
            tail_index[k] = index
        back.append(tail_index[k - 1] if k else -1)
    chain: list[tuple[int, int]] = []
    index = tail_index[-1] if tail_index else -1
    while index >= 0:
        chain.append(pairs[index])
        index = back[index]
    chain.reverse()
    return chain


def _normalise(raw: Iterable[tuple[SpanOp, str]]) -> list[Span]:
    """Drop empty pieces, merge neighbours, and write each change as delete then insert."""
    spans: list[Span] = []
    equal: list[str] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush_change() -> None:
        if deleted:
            spans.append(Span("delete", "".join(deleted)))
            deleted.clear()
        if inserted:
            spans.append(Span("insert", "".join(inserted)))
            inserted.clear()

    for op, text in raw:
        if not text:
            continue
        if op == "equal":
            flush_change()
            equal.append(text)
            continue
        if equal:
            spans.append(Span("equal", "".join(equal)))
            equal.clear()
        (deleted if op == "delete" else inserted).append(text)
    flush_change()
    if equal:
        spans.append(Span("equal", "".join(equal)))
    return spans


# ---------------------------------------------------------------------- unified diff


def unified_diff(
    old: str, new: str, *, from_name: str = "a", to_name: str = "b", context: int = 3
) -> str:
    """A unified diff as git prints it (empty string when the texts are equal)."""
    if context < 0:
        raise ValidationFailed("context must be zero or more lines", details={"context": context})
    out: list[str] = []
    lines = difflib.unified_diff(
        split_lines(old), split_lines(new), fromfile=from_name, tofile=to_name, n=context
    )
    for line in lines:
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


# ----------------------------------------------------------------- versions, configs


def _check_content(type: str, content: Any) -> None:
    if type not in CONTENT_TYPES:
        raise ValidationFailed(
            f"unknown prompt type {type!r}; expected 'text' or 'chat'", details={"type": type}
        )
    if type == "text" and not isinstance(content, str):
        raise ValidationFailed("a text prompt's content must be a string")
    if type == "chat" and not (
        isinstance(content, list) and all(isinstance(m, Mapping) for m in content)
    ):
        raise ValidationFailed("a chat prompt's content must be a list of message objects")


def _is_placeholder(message: Mapping[str, Any]) -> bool:
    return message.get("type") == "placeholder"


def _message_text(message: Mapping[str, Any]) -> str:
    """The diffable body of a message; empty for placeholders."""
    if _is_placeholder(message):
        return ""
    content = message.get("content", "")
    if isinstance(content, str):
        return content
    return json.dumps(content, ensure_ascii=False, sort_keys=True, indent=2)


def _message_heading(message: Mapping[str, Any]) -> str:
    if _is_placeholder(message):
        return f"### placeholder: {message.get('name', '')}"
    heading = f"### {message.get('role', '')}"
    if message.get("name"):
        heading += f" ({message['name']})"
    return heading


def content_to_text(type: str, content: str | list[dict[str, Any]]) -> str:
    """Canonical text of a version's content, for display and the unified diff.

    Text is returned as is. Each chat message becomes ``### {role}`` (plus `` ({name})``
    when the message has a name) and its content; a placeholder becomes
    ``### placeholder: {name}``; blocks are separated by blank lines.
    """
    _check_content(type, content)
    if isinstance(content, str):
        return content
    blocks = []
    for message in content:
        if _is_placeholder(message):
            blocks.append(_message_heading(message) + "\n")
        else:
            blocks.append(f"{_message_heading(message)}\n{_message_text(message)}\n")
    return "\n".join(blocks)


_ABSENT = object()


def diff_config(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Changes between two configs, one entry per changed leaf, sorted by dotted path.

    Nested dicts are compared key by key (``provider.options.seed``); any other value,
    lists included, is compared as a whole. A key added or removed with a dict value is
    one entry holding the whole dict.
    """
    changes: list[dict[str, Any]] = []
    _diff_mapping(old or {}, new or {}, "", changes)
    changes.sort(key=lambda change: change["path"])
    return changes


def _diff_mapping(
    old: Mapping[str, Any], new: Mapping[str, Any], prefix: str, out: list[dict[str, Any]]
) -> None:
    for key in {**old, **new}:
        path = f"{prefix}{key}"
        before, after = old.get(key, _ABSENT), new.get(key, _ABSENT)
        if after is _ABSENT:
            out.append({"path": path, "op": "removed", "old": before, "new": None})
        elif before is _ABSENT:
            out.append({"path": path, "op": "added", "old": None, "new": after})
        elif isinstance(before, Mapping) and isinstance(after, Mapping):
            _diff_mapping(before, after, f"{path}.", out)
        elif freeze(before) != freeze(after):
            out.append({"path": path, "op": "changed", "old": before, "new": after})


def _slot(message: Mapping[str, Any]) -> Hashable:
    """What a message must share with another to be shown as the same message, changed."""
    return ("placeholder",) if _is_placeholder(message) else ("message", message.get("role"))


def _message_entry(
    op: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    old_index: int | None,
    new_index: int | None,
) -> dict[str, Any]:
    spans = word_diff(
        _message_text(old) if old is not None else "",
        _message_text(new) if new is not None else "",
    )

    def describe(message: Mapping[str, Any] | None, attr: str) -> Any:
        if message is None:
            return None
        if attr == "kind":
            return "placeholder" if _is_placeholder(message) else "message"
        if attr == "role":
            return None if _is_placeholder(message) else message.get("role")
        return message.get("name")

    return {
        "op": op,
        "old_index": old_index,
        "new_index": new_index,
        "role_old": describe(old, "role"),
        "role_new": describe(new, "role"),
        "kind_old": describe(old, "kind"),
        "kind_new": describe(new, "kind"),
        "name_old": describe(old, "name"),
        "name_new": describe(new, "name"),
        "spans": [span.to_dict() for span in spans],
    }


def _diff_messages(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Align two message lists.

    Messages are matched whole; within a replaced block they are paired by role (or as
    placeholders), and what remains by position, except that a placeholder is never
    paired with a message.
    """
    entries: list[dict[str, Any]] = []
    outer = difflib.SequenceMatcher(
        None, [freeze(m) for m in old], [freeze(m) for m in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in outer.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                entries.append(_message_entry("equal", old[i], new[j], i, j))
            continue
        inner = difflib.SequenceMatcher(
            None, [_slot(m) for m in old[i1:i2]], [_slot(m) for m in new[j1:j2]], autojunk=False
        )
        for tag_inner, k1, k2, l1, l2 in inner.get_opcodes():
            paired = min(k2 - k1, l2 - l1)
            if tag_inner == "replace" and any(
                _is_placeholder(m) for m in [*old[i1 + k1 : i1 + k2], *new[j1 + l1 : j1 + l2]]
            ):
                paired = 0  # a placeholder and a message are never "the same, changed"
            for offset in range(paired):
                i, j = i1 + k1 + offset, j1 + l1 + offset
                entries.append(_message_entry("changed", old[i], new[j], i, j))
            for i in range(i1 + k1 + paired, i1 + k2):
                entries.append(_message_entry("delete", old[i], None, i, None))
            for j in range(j1 + l1 + paired, j1 + l2):
                entries.append(_message_entry("insert", None, new[j], None, j))
    return entries


def _count_words(spans: Iterable[Span], op: SpanOp) -> int:
    return sum(
        1 for span in spans if span.op == op for token in tokenize(span.text) if not token.isspace()
    )


def diff_contents(
    type_old: str,
    content_old: str | list[dict[str, Any]],
    config_old: Mapping[str, Any] | None,
    type_new: str,
    content_new: str | list[dict[str, Any]],
    config_new: Mapping[str, Any] | None,
    *,
    from_name: str,
    to_name: str,
) -> dict[str, Any]:
    """Everything the console shows when comparing two versions, as JSON-ready data.

    ``messages`` is ``None`` unless both versions are chat prompts. ``stats`` counts the
    non-whitespace tokens inserted and deleted in ``spans``.
    """
    text_old = content_to_text(type_old, content_old)
    text_new = content_to_text(type_new, content_new)
    spans = word_diff(text_old, text_new)
    messages = None
    if isinstance(content_old, list) and isinstance(content_new, list):
        messages = _diff_messages(content_old, content_new)
    return {
        "type_changed": type_old != type_new,
        "spans": [span.to_dict() for span in spans],
        "unified": unified_diff(text_old, text_new, from_name=from_name, to_name=to_name),
        "messages": messages,
        "config": diff_config(config_old, config_new),
        "stats": {
            "insertions": _count_words(spans, "insert"),
            "deletions": _count_words(spans, "delete"),
        },
    }
