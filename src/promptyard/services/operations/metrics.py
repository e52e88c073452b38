"""Prometheus metrics: one registry per server, and the hook every capability adds to.

:class:`Metrics` holds a ``prometheus_client`` registry (never the process-global one:
each app gets its own, so tests and several apps in one process do not share counts),
and three kinds of metrics:

- **Requests** (:class:`RequestStats`): counted by the HTTP layer's middleware
  (``server/metrics.py``) with plain integer updates on the event loop's thread, turned
  into Prometheus families only when ``/metrics`` is scraped. It also keeps per-minute
  totals of the last :data:`WINDOW_MINUTES` minutes for the health score.
- **Database queries** (:class:`DatabaseStats`): SQLAlchemy cursor events on the store's
  engines time each statement, by its kind (``select``, ``insert``, ...).
- **Sources** read at scrape time: :meth:`Metrics.add_source` is THE hook. A source is a
  name and a callable returning ``prometheus_client`` metric families (gauges, counters,
  histograms built with ``prometheus_client.core.*MetricFamily``); it runs on every
  scrape, in a worker thread, and may query the database. A source that raises is
  logged and reported as ``promptyard_metrics_source_up{source="<name>"} 0``; the others
  are still served. Built-in sources are in :mod:`.metric_sources`.

Adding metrics for a new capability (ingest queue depth and lag, generations, tokens and
cost per project/model, feedback, evaluation pass rates): write a function
``<capability>_source(core) -> Source`` in that capability's service package that reads
the capability's tables (its rollups, never raw rows) and returns families named
``promptyard_<capability>_<what>[_<unit>][_total]``, and register it in
``server/metrics.py`` (``install_metrics``) with ``metrics.add_source(...)``. Keep labels
bounded: project slug, model, prompt name at most; never a user, a request id or a
prompt version unless a setting asks for it. Sources read shared data, so every server
process reports the same values for them; requests and queries are per process.
"""

from __future__ import annotations

import logging
import threading
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import event

from promptyard.store.engine import Store

log = logging.getLogger("promptyard.metrics")

#: Upper bounds (seconds) of the request and query latency histograms.
LATENCY_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
#: Minutes of per-minute request totals kept for the health score.
WINDOW_MINUTES = 15
#: Methods counted by name; anything else is counted as ``OTHER`` (bounded labels).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: The route label of a request no route matched (404s of unknown paths, scanners).
UNMATCHED = "<unmatched>"
#: The served_by label of prompt reads (``promptyard_prompt_reads_total``).
FAST_PATH, ROUTE = "fast_path", "route"

#: A scrape-time source of metric families (see the module docstring).
Source = Callable[[], Iterable[Metric]]


class _Histogram:
    """Bucket counts (not cumulative; the last one is +Inf) and a sum."""

    __slots__ = ("buckets", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.total = 0.0


@dataclass(frozen=True)
class RequestWindow:
    """Requests of the last minutes: how many, how many failed (5xx), and their latency."""

    minutes: int
    requests: int
    errors: int
    #: Bucket counts, not cumulative, one per :data:`LATENCY_BUCKETS` bound and +Inf.
    buckets: tuple[int, ...]

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None

    def quantile(self, q: float) -> float | None:
        """Estimated ``q`` quantile (seconds), interpolated in its bucket like
        Prometheus's ``histogram_quantile``; None without requests."""
        if not self.requests:
            return None
        rank = q * self.requests
        seen = 0
        lower = 0.0
        for index, count in enumerate(self.buckets):
            if index >= len(LATENCY_BUCKETS):  # +Inf: the highest finite bound
                return LATENCY_BUCKETS[-1]
            upper = LATENCY_BUCKETS[index]
            if count and seen + count >= rank:
                return lower + (upper - lower) * (rank - seen) / count
            seen += count
            lower = upper
        return LATENCY_BUCKETS[-1]


class RequestStats:
    """HTTP requests by method, route template and status; see the module docstring.

    :meth:`observe` is called by the HTTP middleware on the event loop's thread only, so
    its plain ``+=`` updates never race one another; scrapes read copies from another
    thread (a dict copy is atomic in CPython).
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counts: dict[tuple[str, str, int], int] = {}
        self._histograms: dict[tuple[str, str], _Histogram] = {}
        self.in_flight = 0
        self.prompt_reads = {FAST_PATH: 0, ROUTE: 0}
        # per-minute [minute, requests, errors, *buckets]
        self._minutes: deque[list[int]] = deque(maxlen=WINDOW_MINUTES + 1)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        if method not in METHODS:
            method = "OTHER"
        key = (method, route, status)
        counts = self._counts
        counts[key] = counts.get(key, 0) + 1
        histogram = self._histograms.get((method, route))
        if histogram is None:
            histogram = self._histograms[(method, route)] = _Histogram()
        index = bisect_left(LATENCY_BUCKETS, seconds)
        histogram.buckets[index] += 1
        histogram.total += seconds
        minute = int(self._clock() // 60)
        minutes = self._minutes
        if not minutes or minutes[-1][0] != minute:
            minutes.append([minute, 0, 0, *([0] * (len(LATENCY_BUCKETS) + 1))])
        slot = minutes[-1]
        slot[1] += 1
        if status >= 500:
            slot[2] += 1
        slot[3 + index] += 1

    def window(self, minutes: int = WINDOW_MINUTES) -> RequestWindow:
        """Totals of the last ``minutes`` minutes (the current one included)."""
        now = int(self._clock() // 60)
        requests = errors = 0
        buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        for slot in list(self._minutes):
            if slot[0] <= now - minutes:
                continue
            requests += slot[1]
            errors += slot[2]
            for index, count in enumerate(slot[3:]):
                buckets[index] += count
        return RequestWindow(minutes, requests, errors, tuple(buckets))

    def collect(self) -> Iterator[Metric]:
        total = CounterMetricFamily(
            "promptyard_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            labels=["method", "route", "status"],
        )
        for (method, route, status), count in sorted(self._counts.copy().items()):
            total.add_metric([method, route, str(status)], count)
        yield total
        duration = HistogramMetricFamily(
            "promptyard_http_request_duration_seconds",
            "Time from a request's arrival to the start of its answer, by method and "
            "route template (streams count until their first byte).",
            labels=["method", "route"],
        )
        for (method, route), histogram in sorted(self._histograms.copy().items()):
            counts = list(histogram.buckets)
            cumulative, running = [], 0
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), counts, strict=True):
                running += count
                cumulative.append((_bound(bound), running))
            duration.add_metric([method, route], cumulative, histogram.total)
        yield duration
        yield GaugeMetricFamily(
            "promptyard_http_requests_in_flight",
            "Requests being answered right now.",
            value=self.in_flight,
        )
        reads = CounterMetricFamily(
            "promptyard_prompt_reads",
            "Successful prompt reads (GET /api/v1/prompts/{name}) by what answered them: "
            "fast_path (straight from the read cache) or route (the full route).",
            labels=["served_by"],
        )
        for served_by, count in self.prompt_reads.copy().items():
            reads.add_metric([served_by], count)
        yield reads


def _bound(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(value)


class DatabaseStats:
    """Statement latency and errors of a store's engines, from SQLAlchemy's cursor events."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._histogram = Histogram(
            "promptyard_db_query_duration_seconds",
            "Database statements by kind (select, insert, update, delete, other).",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._errors = Counter(
            "promptyard_db_errors",
            "Database statements that failed.",
            registry=registry,
        )
        self._children = {
            name: self._histogram.labels(name)
            for name in ("select", "insert", "update", "delete", "other")
        }
        self._attached: list[tuple[Any, str, Callable[..., None]]] = []

    def attach(self, store: Store) -> None:
        """Time every statement of ``store``'s engines until :meth:`detach`."""
        engines = [store.read_engine]
        if store.write_engine is not store.read_engine:
            engines.append(store.write_engine)
        for engine in engines:
            for name, fn in (
                ("before_cursor_execute", self._before),
                ("after_cursor_execute", self._after),
                ("handle_error", self._error),
            ):
                event.listen(engine, name, fn)
                self._attached.append((engine, name, fn))

    def detach(self) -> None:
        for engine, name, fn in self._attached:
            if event.contains(engine, name, fn):
                event.remove(engine, name, fn)
        self._attached.clear()

    @staticmethod
    def _before(
        _conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if context is not None:
            context._promptyard_started = time.perf_counter()

    def _after(
        self, _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        started = getattr(context, "_promptyard_started", None)
        if started is None:
            return
        verb = statement.lstrip()[:6].lower()
        child = self._children.get(verb) or self._children["other"]
        child.observe(time.perf_counter() - started)

    def _error(self, _context: Any) -> None:
        self._errors.inc()


class _Sources(Collector):
    """The registered scrape-time sources, each failing on its own."""

    def __init__(self) -> None:
        self.sources: dict[str, Source] = {}
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "promptyard_metrics_source_up",
            "1 when the scrape-time metrics source answered, 0 when it failed (see the log).",
            labels=["source"],
        )
        with self._lock:
            sources = list(self.sources.items())
        for name, source in sources:
            try:
                families = list(source())
            except Exception:
                log.exception("metrics source %s failed", name)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up

    def describe(self) -> Iterable[Metric]:
        return []  # collected on every scrape, never described up front


class Metrics:
    """One server's metrics: requests, database statements and scrape-time sources."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = RequestStats(clock=clock)
        self.database = DatabaseStats(self.registry)
        self._sources = _Sources()
        self.registry.register(_RequestCollector(self.requests))
        self.registry.register(self._sources)

    def add_source(self, name: str, source: Source) -> None:
        """Register a scrape-time source of metric families (the hook; see the module
        docstring). Names are unique: a second source of the same name is refused."""
        if name in self._sources.sources:
            raise ValueError(f"a metrics source named {name!r} is already registered")
        self._sources.sources[name] = source

    @property
    def source_names(self) -> list[str]:
        return list(self._sources.sources)

    def render(self) -> bytes:
        """The Prometheus text exposition of everything (runs the sources)."""
        return generate_latest(self.registry)


class _RequestCollector(Collector):
    def __init__(self, stats: RequestStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        return self.stats.collect()

    def describe(self) -> Iterable[Metric]:
        return []
