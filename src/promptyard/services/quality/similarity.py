"""Near-duplicate prompts without any model: word shingles, Jaccard, MinHash and LSH.

A version's text (a chat's messages joined) is lower-cased and cut into words (template
tags such as ``{{ ticket }}`` count as one word); its *shingles* are the sets of
:data:`SHINGLE` consecutive words. Two versions are as similar as the Jaccard index of
their shingle sets: shared shingles over all shingles, 0 to 1.

- ``similar`` (one prompt against the project): exact Jaccard against every live prompt
  at ``latest``; set intersections in C, ~10 ms per 10,000 prompts.
- ``near_duplicates`` (the whole project): each version gets a MinHash signature of
  :data:`PERMUTATIONS` values; LSH (:data:`BANDS` bands of :data:`ROWS` rows) proposes
  candidate pairs, whose exact Jaccard decides. A pair at Jaccard 0.5 becomes a candidate
  with probability ~0.65, at 0.7 ~0.97, at 0.8 ~0.999 (``1 - (1 - s^ROWS)^BANDS``).

The reuse suggestion is the longest run of words two versions share (difflib's matching
blocks over words): the part that could become a prompt of its own, included in both.
"""

from __future__ import annotations

import difflib
import hashlib
import random
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select

from promptyard.domain.schemas import LATEST_LABEL
from promptyard.services.context import Core
from promptyard.services.prompts.lookup import load_prompt, resolve_selector
from promptyard.store.models import SqlLabel, SqlPrompt, SqlVersion

SHINGLE = 3
PERMUTATIONS = 64
BANDS, ROWS = 16, 4
#: Words of a version the reuse suggestion reads at most (difflib is quadratic).
MAX_SUGGESTION_WORDS = 5_000
#: A shared run shorter than this is not worth its own prompt.
MIN_SHARED_WORDS = 12
#: Characters of the shared part an answer repeats.
MAX_SHARED_CHARS = 4_000

_WORD = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|[\w'-]+|[^\w\s]", re.S)
_EDGE = re.compile(r"[\w{]")
_MASK = (1 << 64) - 1
_SEEDED = random.Random(12)  # one generator: PERMUTATIONS different salts
_SALTS = tuple(_SEEDED.getrandbits(64) for _ in range(PERMUTATIONS))


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(str(item.get("content", "")) for item in content if isinstance(item, dict))


@dataclass(frozen=True)
class Tokens:
    """A version's words (with their character spans) and its shingle hashes."""

    text: str
    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    shingles: frozenset[int]


def tokens(content: Any) -> Tokens:
    text = text_of(content)
    matches = list(_WORD.finditer(text))
    words = tuple(m.group(0).lower() for m in matches)
    if len(words) < SHINGLE:
        grams: Iterable[tuple[str, ...]] = [words] if words else []
    else:
        grams = (words[i : i + SHINGLE] for i in range(len(words) - SHINGLE + 1))
    shingles = frozenset(_hash("\x1f".join(gram)) for gram in grams)
    return Tokens(text, words, tuple(m.span() for m in matches), shingles)


def _hash(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big")


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def signature(shingles: frozenset[int]) -> tuple[int, ...]:
    """MinHash: per salt, the least of ``splitmix64(hash XOR salt)`` over the shingles
    (splitmix64's finaliser is a bijection of 64-bit values that mixes every bit, so
    each salt gives an independent-looking permutation of the hashes)."""
    if not shingles:
        return ()
    import numpy as np

    with np.errstate(over="ignore"):
        z = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))[:, None] ^ _salts()
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return tuple(int(v) for v in z.min(axis=0))


def _salts() -> Any:
    import numpy as np

    return np.array(_SALTS, dtype=np.uint64)


def shared_part(a: Tokens, b: Tokens) -> dict[str, Any] | None:
    """The longest run of words both texts hold, as ``a``'s text, if long enough."""
    matcher = difflib.SequenceMatcher(
        None, a.words[:MAX_SUGGESTION_WORDS], b.words[:MAX_SUGGESTION_WORDS], autojunk=False
    )
    block = matcher.find_longest_match(
        0, min(len(a.words), MAX_SUGGESTION_WORDS), 0, min(len(b.words), MAX_SUGGESTION_WORDS)
    )
    first, last = block.a, block.a + block.size - 1
    while first <= last and not _EDGE.match(a.words[first]):
        first += 1  # start and end on a word, not on stray punctuation
    while last >= first and not _EDGE.match(a.words[last]) and a.words[last] not in ".!?":
        last -= 1
    size = last - first + 1
    if size < MIN_SHARED_WORDS:
        return None
    start = a.spans[first][0]
    end = a.spans[last][1]
    text = a.text[start:end]
    return {
        "words": size,
        "text": text[:MAX_SHARED_CHARS],
        "truncated": len(text) > MAX_SHARED_CHARS,
        "line": a.text.count("\n", 0, start) + 1,
    }


def _suggestion(name: str, other: str, shared: dict[str, Any] | None) -> dict[str, Any] | None:
    if shared is None:
        return None
    include_name = f"{name}-shared"
    return {
        **shared,
        "include": f'{{% include "prompt:{include_name}@production" %}}',
        "message": f"{shared['words']} words are the same in '{name}' and '{other}' "
        f"(from line {shared['line']} of '{name}'): make them a text prompt of their own "
        f"(e.g. '{include_name}') and include it in both, so a fix lands in one place.",
    }


def _live_versions(
    core: Core, project_id: int, label: str, limit: int
) -> list[tuple[str, int, Any]]:
    query = (
        select(SqlPrompt.name, SqlVersion.number, SqlVersion.content)
        .join(SqlLabel, and_(SqlLabel.prompt_id == SqlPrompt.id, SqlLabel.name == label))
        .join(
            SqlVersion,
            and_(SqlVersion.prompt_id == SqlPrompt.id, SqlVersion.number == SqlLabel.version),
        )
        .where(SqlPrompt.project_id == project_id, SqlPrompt.deleted_at.is_(None))
        .order_by(SqlPrompt.name)
        .limit(limit)
    )
    with core.store.read() as session:
        return [(name, number, content) for name, number, content in session.execute(query)]


def similar(
    core: Core,
    *,
    project_id: int,
    name: str,
    version: int | None = None,
    label: str | None = None,
    min_score: float = 0.3,
    limit: int = 10,
    max_prompts: int = 10_000,
) -> dict[str, Any]:
    """The prompts most like ``name``'s version (default latest), by exact Jaccard of word
    shingles against every other live prompt at ``latest`` (at most ``max_prompts``)."""
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name)
        selected = resolve_selector(session, prompt, version=version, label=label)
        number, content = selected.number, selected.content
    mine = tokens(content)
    scored: list[tuple[float, str, int, Any]] = []
    compared = 0
    for other, other_number, other_content in _live_versions(
        core, project_id, LATEST_LABEL, max_prompts + 1
    ):
        if other == name:
            continue
        compared += 1
        theirs = tokens(other_content)
        score = jaccard(mine.shingles, theirs.shingles)
        if score >= min_score:
            scored.append((score, other, other_number, theirs))
    scored.sort(key=lambda item: (-item[0], item[1]))
    items = []
    for score, other, other_number, theirs in scored[:limit]:
        items.append(
            {
                "name": other,
                "version": other_number,
                "score": round(score, 4),
                "suggestion": _suggestion(name, other, shared_part(mine, theirs)),
            }
        )
    return {
        "prompt": name,
        "version": number,
        "method": "lexical",
        "min_score": min_score,
        "compared": compared,
        "items": items,
    }


def near_duplicates(
    core: Core,
    *,
    project_id: int,
    label: str | None = None,
    threshold: float = 0.7,
    limit: int = 10_000,
    max_pairs: int = 500,
) -> dict[str, Any]:
    """Pairs of live prompts (at ``label``, default latest) whose Jaccard is at least
    ``threshold``, found through MinHash LSH; and the groups they form."""
    label = label or LATEST_LABEL
    names: list[str] = []
    numbers: list[int] = []
    toks: list[Tokens] = []
    truncated = False
    for index, (name, number, content) in enumerate(
        _live_versions(core, project_id, label, limit + 1)
    ):
        if index >= limit:
            truncated = True
            break
        names.append(name)
        numbers.append(number)
        toks.append(tokens(content))
    buckets: dict[tuple[int, tuple[int, ...]], list[int]] = defaultdict(list)
    for index, tok in enumerate(toks):
        sig = signature(tok.shingles)
        if not sig:
            continue
        for band in range(BANDS):
            buckets[(band, sig[band * ROWS : (band + 1) * ROWS])].append(index)
    candidates: set[tuple[int, int]] = set()
    for members in buckets.values():
        if len(members) < 2:
            continue
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                candidates.add((a, b))
    pairs = []
    for a, b in candidates:
        score = jaccard(toks[a].shingles, toks[b].shingles)
        if score >= threshold:
            pairs.append((score, a, b))
    pairs.sort(key=lambda p: (-p[0], names[p[1]], names[p[2]]))
    groups = _groups([(a, b) for _, a, b in pairs], len(names))
    listed = []
    for score, a, b in pairs[:max_pairs]:
        listed.append(
            {
                "a": {"name": names[a], "version": numbers[a]},
                "b": {"name": names[b], "version": numbers[b]},
                "score": round(score, 4),
                "suggestion": _suggestion(names[a], names[b], shared_part(toks[a], toks[b])),
            }
        )
    return {
        "label": label,
        "method": "minhash-lsh",
        "threshold": threshold,
        "prompts": len(names),
        "truncated": truncated,
        "pairs_found": len(pairs),
        "pairs": listed,
        "groups": [sorted(names[i] for i in group) for group in groups],
    }


def _groups(edges: list[tuple[int, int]], size: int) -> list[list[int]]:
    """Connected components of two or more prompts (union-find), largest first."""
    parent = list(range(size))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent[find(a)] = find(b)
    components: dict[int, list[int]] = defaultdict(list)
    for a, b in edges:
        for node in (a, b):
            root = find(node)
            if node not in components[root]:
                components[root].append(node)
    return sorted(components.values(), key=lambda g: (-len(g), min(g)))
