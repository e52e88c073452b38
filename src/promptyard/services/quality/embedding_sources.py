"""A workspace's embeddings source: the local model (default) or a provider connection's
OpenAI-compatible ``/embeddings`` endpoint and model. Changing it changes the key the
stored vectors are kept under, so the background job embeds the versions again; the
vectors of the previous source stay until their versions are deleted."""

from __future__ import annotations

from promptyard.domain.actor import RequestContext
from promptyard.services.context import Core
from promptyard.services.operations import audit
from promptyard.services.quality.embeddings import LOCAL_MODEL
from promptyard.services.quality.schemas import EmbeddingSourceInput, EmbeddingSourcePublic
from promptyard.services.runtime.connections import get_connection
from promptyard.store.models import SqlEmbeddingSource


def _local() -> EmbeddingSourcePublic:
    return EmbeddingSourcePublic(
        kind="local", connection=None, model=LOCAL_MODEL, updated_by=None, updated_at=None
    )


def _public(row: SqlEmbeddingSource) -> EmbeddingSourcePublic:
    return EmbeddingSourcePublic(
        kind="provider",
        connection=row.connection,
        model=f"{row.connection}/{row.model}",
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def get_source(core: Core, *, workspace_id: int) -> EmbeddingSourcePublic:
    with core.store.read() as session:
        row = session.get(SqlEmbeddingSource, workspace_id)
        return _local() if row is None else _public(row)


def set_source(
    core: Core, *, ctx: RequestContext, workspace_id: int, data: EmbeddingSourceInput
) -> EmbeddingSourcePublic:
    get_connection(core, workspace_id=workspace_id, name=data.connection)  # 404 if unknown
    with core.store.write() as session:
        row = session.get(SqlEmbeddingSource, workspace_id)
        if row is None:
            row = SqlEmbeddingSource(workspace_id=workspace_id)
            session.add(row)
        row.connection, row.model = data.connection, data.model
        row.updated_by, row.updated_at = ctx.actor.ref, core.clock()
        audit.append(
            core,
            session,
            ctx=ctx,
            action="embedding_source.set",
            object_type="embedding_source",
            object_id=str(workspace_id),
            summary={"connection": data.connection, "model": data.model},
            workspace_id=workspace_id,
        )
        return _public(row)


def reset_source(core: Core, *, ctx: RequestContext, workspace_id: int) -> EmbeddingSourcePublic:
    with core.store.write() as session:
        row = session.get(SqlEmbeddingSource, workspace_id)
        if row is not None:
            audit.append(
                core,
                session,
                ctx=ctx,
                action="embedding_source.reset",
                object_type="embedding_source",
                object_id=str(workspace_id),
                summary={"model": LOCAL_MODEL},
                workspace_id=workspace_id,
            )
            session.delete(row)
    return _local()
