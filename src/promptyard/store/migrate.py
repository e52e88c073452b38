"""Schema migrations (Alembic), run by ``promptyard db upgrade`` and at ``serve``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from promptyard.store.engine import Store

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(store: Store) -> str | None:
    with store.write_engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(store: Store) -> bool:
    return current_revision(store) == head_revision()


def upgrade(store: Store, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (idempotent)."""
    config = _config()
    with store.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
