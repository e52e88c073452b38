"""Migrations build the whole schema on an empty database of each backend."""

from __future__ import annotations

from sqlalchemy import inspect

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


def test_migrated_schema_matches_models(db_url: str) -> None:
    store = Store(db_url)
    try:
        assert migrate.is_current(store)
        inspector = inspect(store.read_engine)
        tables = set(inspector.get_table_names())
        assert tables >= EXPECTED_TABLES
        for name, table in Base.metadata.tables.items():
            columns = {column["name"] for column in inspector.get_columns(name)}
            assert columns == {column.name for column in table.columns}, name
        if store.is_sqlite:
            assert "prompts_fts" in tables
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
