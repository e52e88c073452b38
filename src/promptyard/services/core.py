"""The objects every service needs, built once per process and passed in."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from promptyard.config import Settings
from promptyard.domain.templates import TemplateEngine, TemplateLimits
from promptyard.store.engine import Store


class ReadCache:
    """Serialized read results per object, dropped whenever the object is written.

    Entries are grouped by an object key (e.g. ``("prompt", project_id, name)``); one
    write drops every cached view of that object. A reader takes :meth:`generation`
    before querying and passes it to :meth:`put`, so a result read before a concurrent
    write is never stored after that write's invalidation. Bounded LRU over objects.
    """

    def __init__(self, max_objects: int = 50_000) -> None:
        self._max = max_objects
        self._entries: OrderedDict[Hashable, dict[Hashable, Any]] = OrderedDict()
        self._generations: dict[Hashable, int] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, view: Hashable) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        return entry.get(view)

    def generation(self, key: Hashable) -> int:
        return self._generations.get(key, 0)

    def put(self, key: Hashable, view: Hashable, value: Any, generation: int) -> None:
        with self._lock:
            if self._generations.get(key, 0) != generation:
                return
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = {}
                if len(self._entries) > self._max:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(key)
            entry[view] = value

    def invalidate(self, key: Hashable) -> None:
        with self._lock:
            self._generations[key] = self._generations.get(key, 0) + 1
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            for key in list(self._entries):
                self._generations[key] = self._generations.get(key, 0) + 1
            self._entries.clear()

    def __len__(self) -> int:
        return sum(len(entry) for entry in self._entries.values())


class TTLCache:
    """A small thread-safe map whose entries expire after ``ttl`` seconds."""

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[Hashable, tuple[Any, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        hit = self._entries.get(key)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[key] = (value, time.monotonic() + self._ttl)

    def delete(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Core:
    """Store, settings, template engine and caches: passed to every service call."""

    store: Store
    settings: Settings
    templates: TemplateEngine
    cache: ReadCache = field(default_factory=ReadCache)
    actors: TTLCache = field(default_factory=lambda: TTLCache(ttl=30.0))
    project_slugs: dict[int, str] = field(default_factory=dict)
    #: Quality gates by name, collected from plugins (see plugins/hookspecs.py).
    gates: dict[str, Callable[..., Any]] = field(default_factory=dict)
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def build(cls, settings: Settings, store: Store | None = None) -> Core:
        store = store or Store(settings.resolved_database_url())
        limits = TemplateLimits(
            max_source_chars=settings.max_content_chars,
            max_seconds=settings.render_timeout_seconds,
        )
        from promptyard.plugins.manager import build_plugin_manager, collect_gates

        core = cls(store=store, settings=settings, templates=TemplateEngine(limits))
        core.gates = collect_gates(build_plugin_manager())
        return core
