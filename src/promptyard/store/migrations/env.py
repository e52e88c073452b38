"""Alembic environment: runs on the connection given by ``promptyard.store.migrate``."""

from __future__ import annotations

from alembic import context

from promptyard.store.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # The SQLite FTS5 index (prompts_fts and its shadow tables) is made by hand in 0001.
    return not (type_ == "table" and name is not None and name.startswith("prompts_fts"))


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `promptyard db upgrade`")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
