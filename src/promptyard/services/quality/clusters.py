"""Clusters of a project's library, each with a label of its most distinctive words.

With stored embeddings (:mod:`.embeddings`) of the prompts' latest versions, the unit
vectors are grouped by k-means (scipy's ``kmeans2``, k-means++ start, fixed seed; ``k``
given or ``round(sqrt(n / 2))`` between 2 and :data:`MAX_K`); on unit vectors the squared
distance is ``2 - 2 cos``, so this groups by cosine. Without embeddings the lexical route
groups the prompts whose word shingles overlap (MinHash LSH at Jaccard
:data:`LEXICAL_THRESHOLD`, the near-duplicate machinery of :mod:`.similarity`); prompts that
overlap with none are left unclustered.

A cluster's label is its three most distinctive words: a word's share of the cluster's
prompts times its inverse document frequency over the project (TF-IDF on prompt
presence), common English words and template tags left out.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from promptyard.domain.errors import ValidationFailed
from promptyard.domain.schemas import LATEST_LABEL
from promptyard.services.context import Core
from promptyard.services.quality import embeddings, vectors
from promptyard.services.quality.similarity import _live_versions, near_duplicates, text_of

MAX_K = 50
MAX_PROMPTS = 10_000
LEXICAL_THRESHOLD = 0.3
LABEL_WORDS = 3
_WORD = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|[A-Za-z][A-Za-z'-]{2,}")
_STOP_WORDS = (
    "about above after again against all also and any are because been before being "
    "below between both but can could did does doing down during each few for from "
    "further had has have having her here hers him his how into its itself just more "
    "most must not now off once only other our out over own same she should some such "
    "than that the their them then there these they this those through too under until "
    "very was were what when where which while who whom why will with would you your "
    "yours one two three use using give given answer text following return make sure"
)
_STOP = frozenset(_STOP_WORDS.split())


def _words(content: Any) -> set[str]:
    return {
        w.lower()
        for w in _WORD.findall(text_of(content))
        if not w.startswith("{") and w.lower() not in _STOP
    }


def _labels(groups: list[list[int]], docs: list[set[str]]) -> list[tuple[str, list[str]]]:
    df = Counter(word for doc in docs for word in doc)
    total = len(docs)
    out = []
    for members in groups:
        tf = Counter(word for i in members for word in docs[i])
        scored = sorted(
            tf,
            key=lambda w: (-(tf[w] / len(members)) * math.log((1 + total) / (1 + df[w])), w),
        )
        terms = [w for w in scored if tf[w] >= min(2, len(members))][:LABEL_WORDS] or scored[
            :LABEL_WORDS
        ]
        out.append((" · ".join(terms) or "(no words)", terms))
    return out


def _kmeans(matrix: Any, k: int) -> list[list[int]]:
    import numpy as np
    from scipy.cluster.vq import kmeans2

    _, assigned = kmeans2(matrix.astype(np.float64), k, minit="++", seed=12)
    groups: dict[int, list[int]] = {}
    for index, cluster in enumerate(assigned):
        groups.setdefault(int(cluster), []).append(index)
    return list(groups.values())


def clusters(
    core: Core, *, project_id: int, k: int | None = None, method: str = "auto"
) -> dict[str, Any]:
    """The project's clusters (largest first) with a label and members each."""
    if method not in ("auto", "embeddings", "lexical"):
        raise ValidationFailed("method must be auto, embeddings or lexical")
    versions = _live_versions(core, project_id, LATEST_LABEL, MAX_PROMPTS + 1)
    truncated = len(versions) > MAX_PROMPTS
    versions = versions[:MAX_PROMPTS]
    by_name = {name: (number, content) for name, number, content in versions}
    matrix = None
    model = None
    why = None
    if method in ("auto", "embeddings"):
        try:
            source = embeddings.source_for(core, 0, project_id=project_id)
            model = source.label
            matrix = vectors.project_vectors(core, project_id, source.model)
            if len(matrix) < 2:
                why = "fewer than two prompts have embeddings yet"
                matrix = None
        except embeddings.SemanticUnavailable as exc:
            why = exc.message
        if matrix is None and method == "embeddings":
            raise embeddings.SemanticUnavailable(f"no clusters by embeddings: {why}")
    if matrix is not None:
        names = [n for n in matrix.names if n in by_name]
        rows = [matrix.names.index(n) for n in names]
        size = len(names)
        count = max(2, min(MAX_K, k or round(math.sqrt(size / 2)), size))
        groups = _kmeans(matrix.matrix[rows], count) if size >= 2 else []
        used = "kmeans-embeddings"
    else:
        report = near_duplicates(
            core, project_id=project_id, threshold=LEXICAL_THRESHOLD, limit=MAX_PROMPTS
        )
        names = sorted(by_name)
        position = {name: i for i, name in enumerate(names)}
        groups = [[position[n] for n in group] for group in report["groups"]]
        used = "minhash-lexical"
    docs = [_words(by_name[name][1]) for name in names]
    groups.sort(key=lambda g: (-len(g), min(names[i] for i in g)))
    labelled = _labels(groups, docs)
    clustered = {i for g in groups for i in g}
    return {
        "method": used,
        "model": model if used == "kmeans-embeddings" else None,
        "fallback_reason": why if used == "minhash-lexical" and method == "auto" else None,
        "prompts": len(names),
        "truncated": truncated,
        "unclustered": sorted(names[i] for i in range(len(names)) if i not in clustered),
        "clusters": [
            {
                "id": index + 1,
                "label": label,
                "terms": terms,
                "size": len(members),
                "members": [
                    {"name": names[i], "version": by_name[names[i]][0]}
                    for i in sorted(members, key=lambda i: names[i])
                ],
            }
            for index, ((label, terms), members) in enumerate(zip(labelled, groups, strict=True))
        ],
    }
