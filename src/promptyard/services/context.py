"""The objects every service needs, built once per process and passed in."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from promptyard.config import Settings
from promptyard.domain.templates import TemplateEngine, TemplateLimits
from promptyard.store.engine import Store

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


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


#: A label guard may refuse moving a label directly (raises a domain error).
LabelGuard = Callable[["Session", int, str], None]
#: A prompt assigner sees ``(project_id, prompt name, requested label, unit id)`` of a
#: prompt read that names a unit, and may answer ``(label to serve, experiment id,
#: variant)``: experiments' traffic split (``services/experiments/assignment.py``).
PromptAssigner = Callable[[int, str, "str | None", str], "tuple[str, int, str] | None"]
#: A version guard sees ``(session, project_id, type, content)`` of every version about to
#: be committed, and may refuse it (raises a domain error): quality's secret blocking.
VersionGuard = Callable[["Session", int, str, Any], None]


@dataclass
class Core:
    """Store, settings, template engine and caches: passed to every service call.

    :meth:`build` makes a bare Core; :func:`promptyard.wiring.build_core` is what the
    server, the CLI and the tests use: it adds the plugins' quality gates and the label
    guards that capabilities install.
    """

    store: Store
    settings: Settings
    templates: TemplateEngine
    cache: ReadCache = field(default_factory=ReadCache)
    actors: TTLCache = field(default_factory=lambda: TTLCache(ttl=30.0))
    project_slugs: dict[int, str] = field(default_factory=dict)
    #: Quality gates by name, collected from plugins (see plugins/hookspecs.py).
    gates: dict[str, Callable[..., Any]] = field(default_factory=dict)
    #: Checks every direct label move passes (governance's protected labels).
    label_guards: list[LabelGuard] = field(default_factory=list)
    #: Quality and security rules by id, collected from plugins (``register_quality_rules``).
    quality_rules: dict[str, Any] = field(default_factory=dict)
    #: Checks every version passes before it is committed (quality's secret blocking).
    version_guards: list[VersionGuard] = field(default_factory=list)
    #: Where generations and feedback are stored (``services/telemetry/events.py``: its
    #: ``event_store(core)`` makes the SQL one on first use).
    events: Any = None
    #: Plugins' redaction of generation text before it is stored: ``(field, text) -> text``.
    redactors: list[Callable[[str, str], str]] = field(default_factory=list)
    #: Provider kinds by name, collected from plugins (``register_providers``):
    #: ``{kind: plugins.api.Provider}``.
    providers: dict[str, Any] = field(default_factory=dict)
    #: Evaluator kinds plugins add (``register_evaluators``): ``{kind:
    #: plugins.api.Evaluator}``, over the built-in ones of ``services/evaluation``.
    evaluators: dict[str, Any] = field(default_factory=dict)
    #: Answer which label a prompt read by a unit (user or session) serves: experiments.
    prompt_assigners: list[PromptAssigner] = field(default_factory=list)
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def build(cls, settings: Settings, store: Store | None = None) -> Core:
        """A Core with no plugins and no guards (see :func:`promptyard.wiring.build_core`)."""
        store = store or Store(settings.resolved_database_url())
        limits = TemplateLimits(
            max_source_chars=settings.max_content_chars,
            max_seconds=settings.render_timeout_seconds,
        )
        return cls(store=store, settings=settings, templates=TemplateEngine(limits))
