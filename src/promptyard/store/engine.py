"""The store: engines chosen from the database URL, and transaction scopes.

SQLite (the default) gets these pragmas on every connection:

- ``journal_mode=WAL``: readers never block the single writer, and the writer never
  blocks readers, so a busy API stays responsive while prompts are saved.
- ``synchronous=NORMAL``: with WAL this is still durable against application crashes;
  only an OS crash or power cut can lose the last transactions, never corrupt the file.
- ``foreign_keys=ON``: SQLite leaves foreign keys off unless asked.
- ``busy_timeout=15000``: wait up to 15 s for the write lock instead of failing at once.

Write transactions on SQLite start with ``BEGIN IMMEDIATE``: they take the write lock
up front, so two concurrent read-then-write transactions cannot deadlock on the lock
upgrade (SQLite would fail one of them with "database is locked"). Reads use a
deferred ``BEGIN``. Inside one process, write transactions on SQLite also queue on a
lock before ``BEGIN IMMEDIATE``: SQLite has one writer anyway, and a waiter woken by the
lock's release starts at once, where SQLite's busy handler would poll with sleeps of up
to 100 ms (concurrent writers then spent most of their time asleep). Other processes
(the CLI, a second server) still wait through ``busy_timeout``, and so does a writer
that waited that long for the lock (a write scope held open, or nested in one thread).

PostgreSQL (``postgresql+psycopg://…``) uses a pooled engine; write transactions lock
the rows they change with ``SELECT … FOR UPDATE`` in the services.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_SECONDS = 15
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}",
)


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
        pool_size=20,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_engines(url: str) -> tuple[Engine, Engine]:
    """Return ``(read_engine, write_engine)`` for a database URL."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, immediate=False), _sqlite_engine(url, immediate=True)
    if backend == "postgresql":
        engine = create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
        return engine, engine
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql+psycopg://")


class Store:
    """Database access for the services: a read scope and a write scope."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.read_engine, self.write_engine = make_engines(url)
        self.dialect = self.read_engine.dialect.name
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self.write_engine, expire_on_commit=False)
        # Waited for no longer than SQLite's busy timeout, and not at all by a scope nested
        # in one holding it: then the transaction goes on to BEGIN IMMEDIATE as it did
        # without the lock (SQLite decides), so no writer hangs on it.
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._writer: int | None = None  # the thread holding it
        #: Values read from this database that services keep between transactions as
        #: hints (e.g. the audit chain's head): never trusted as they are, only used by a
        #: statement that checks them against the row and falls back to a read.
        self.hints: dict[str, Any] = {}

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        # Closing (not rolling back) ends the read transaction without expiring the
        # loaded objects, so services can keep using what they read.
        with self._read_sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: everything inside lands together or not at all."""
        if self._write_lock is None:
            with self._write_sessions() as session, session.begin():
                yield session
            return
        locked = self._lock_writes()
        try:
            with self._write_sessions() as session, session.begin():
                yield session
        finally:
            if locked:
                self._writer = None
                self._write_lock.release()

    def _lock_writes(self) -> bool:
        """Take the process's SQLite write lock; False (not taken) for a write scope nested
        in one that holds it, or after waiting as long as SQLite's busy timeout."""
        assert self._write_lock is not None
        me = threading.get_ident()
        if self._writer == me:
            return False
        if not self._write_lock.acquire(timeout=BUSY_TIMEOUT_SECONDS):
            return False
        self._writer = me
        return True

    def dispose(self) -> None:
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()
