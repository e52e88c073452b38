"""Migrations build the whole schema on an empty database of each backend."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Inspector, Table, UniqueConstraint, inspect

from promptyard.store import migrate
from promptyard.store.engine import Store
from promptyard.store.models import Base

EXPECTED_TABLES = {
    "workspaces",
    "projects",
    "users",
    "memberships",
    "api_keys",
    "sessions",
    "prompts",
    "prompt_tags",
    "prompt_versions",
    "labels",
    "label_events",
    "branches",
    "audit_events",
    "audit_head",
    "project_members",
    "login_throttle",
    "change_requests",
    "change_request_events",
    "webhooks",
    "webhook_deliveries",
}


def _search_index(kind: str, name: str | None) -> bool:
    """The full-text index, made by hand in migration 0001 and absent from the models
    (as ``migrations/env.py`` keeps it out of autogenerate): on SQLite the FTS5 virtual
    table ``prompts_fts`` and the shadow tables FTS5 makes for it (``_data``, ``_idx``,
    ``_docsize``, ``_config``); on PostgreSQL the GIN expression index
    ``ix_prompts_search`` over ``to_tsvector('simple', search_text)``, which SQLAlchemy
    models cannot declare portably."""
    return (kind == "table" and (name or "").startswith("prompts_fts")) or (
        kind == "index" and name == "ix_prompts_search"
    )


def _include(obj: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
    return not _search_index(kind, name)


def schema_differences(connection: Connection) -> list[Any]:
    """What alembic's autogenerate would change to make the database match the models:
    tables, columns and their types, nullability and server defaults, primary keys,
    indexes, unique constraints and foreign keys (with their ON DELETE)."""
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_object": _include,
        },
    )
    return list(compare_metadata(context, Base.metadata))


def _unique_column_sets(inspector: Inspector, table: Table) -> tuple[set[Any], set[Any]]:
    """Column sets made unique in the database and in the models, by constraint or index.

    Compared here as well because autogenerate cannot report a unique constraint the
    database has and the models lack when the database gave it no name (SQLite)."""
    in_db = {tuple(sorted(u["column_names"])) for u in inspector.get_unique_constraints(table.name)}
    in_db |= {
        tuple(sorted(index["column_names"]))
        for index in inspector.get_indexes(table.name)
        if index["unique"]
    }
    in_models = {
        tuple(sorted(column.name for column in constraint.columns))
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    }
    in_models |= {
        tuple(sorted(column.name for column in index.columns))
        for index in table.indexes
        if index.unique
    }
    in_models |= {(column.name,) for column in table.columns if column.unique}
    return in_db, in_models


def test_migrated_schema_matches_models(db_url: str) -> None:
    store = Store(db_url)
    try:
        assert migrate.is_current(store)
        inspector = inspect(store.read_engine)
        tables = set(inspector.get_table_names())
        assert tables >= EXPECTED_TABLES
        with store.write_engine.connect() as connection:
            assert schema_differences(connection) == []
        for table in Base.metadata.sorted_tables:
            in_db, in_models = _unique_column_sets(inspector, table)
            assert in_db == in_models, table.name
        # The hand-made search index is there instead.
        if store.is_sqlite:
            assert "prompts_fts" in tables
            with store.read_engine.connect() as connection:
                triggers = connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                ).scalars()
                assert {"prompts_fts_ai", "prompts_fts_ad", "prompts_fts_au"} <= set(triggers)
        else:
            indexes = {index["name"] for index in inspector.get_indexes("prompts")}
            assert "ix_prompts_search" in indexes
    finally:
        store.dispose()


def test_upgrade_an_empty_sqlite_file_is_idempotent(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert migrate.current_revision(store) is None
        assert not migrate.is_current(store)
        migrate.upgrade(store)
        migrate.upgrade(store)
        assert migrate.current_revision(store) == migrate.head_revision()
        with store.read_engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            assert mode == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.dispose()
