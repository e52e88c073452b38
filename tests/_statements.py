"""Counting the SQL statements a block of code runs, for tests that hold a query budget."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from promptyard.services.context import Core


@contextmanager
def statements(core: Core) -> Iterator[list[str]]:
    """The SQL statements the calling thread runs on the store's engines inside the block.

    Only the calling thread's: a server's scheduler or a background delivery may query
    the same engines meanwhile, and their statements are not the code under test."""
    seen: list[str] = []
    thread = threading.get_ident()

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if threading.get_ident() == thread:
            seen.append(statement)

    engines = {core.store.read_engine, core.store.write_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
