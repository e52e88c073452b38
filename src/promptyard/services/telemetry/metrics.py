"""Business metrics of the generation record for ``GET /metrics``: generations, tokens,
cost and feedback stored by this process since it started (Prometheus counters: sum
them over the server's processes; a restart is a counter reset Prometheus handles).

Label cardinality is bounded: ``project`` (a workspace has few), ``provider`` and
``model`` as reported, but at most :data:`MAX_MODELS` distinct models per process (the
rest count under ``model="other"``); never a label per user, prompt version or id.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, Metric

MAX_MODELS = 200
OTHER = "other"


class GenerationCounters:
    """Counts kept at ingest, read at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: set[str] = set()
        self.generations: Counter[tuple[str, str, str, str]] = Counter()
        self.tokens: Counter[tuple[str, str, str, str]] = Counter()
        self.cost: Counter[tuple[str, str, str]] = Counter()
        self.unpriced: Counter[tuple[str, str, str]] = Counter()
        self.feedback: Counter[tuple[str, str]] = Counter()

    def _model(self, model: str | None) -> str:
        name = model or "unknown"
        if name in self._models:
            return name
        if len(self._models) >= MAX_MODELS:
            return OTHER
        self._models.add(name)
        return name

    def add_generations(self, project: str, rows: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            for row in rows:
                provider = row.get("provider") or "unknown"
                model = self._model(row.get("model"))
                self.generations[(project, provider, model, row["status"])] += 1
                for direction, key in (("input", "input_tokens"), ("output", "output_tokens")):
                    if row.get(key):
                        self.tokens[(project, provider, model, direction)] += row[key]
                if row.get("input_cost") is None:
                    self.unpriced[(project, provider, model)] += 1
                elif (row.get("currency") or "USD") == "USD":
                    self.cost[(project, provider, model)] += row["input_cost"] + row["output_cost"]

    def add_feedback(self, project: str, kind: str) -> None:
        with self._lock:
            self.feedback[(project, kind)] += 1

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            snapshot = (
                dict(self.generations),
                dict(self.tokens),
                dict(self.cost),
                dict(self.unpriced),
                dict(self.feedback),
            )
        generations, tokens, cost, unpriced, feedback = snapshot
        yield _family(
            "promptyard_generations",
            "Generations stored (reported, run here, or from traces).",
            ["project", "provider", "model", "status"],
            generations,
        )
        yield _family(
            "promptyard_generation_tokens",
            "Tokens of stored generations (input includes cached, output reasoning).",
            ["project", "provider", "model", "direction"],
            tokens,
        )
        yield _family(
            "promptyard_generation_cost_usd",
            "Cost in USD of stored generations with a known price.",
            ["project", "provider", "model"],
            cost,
        )
        yield _family(
            "promptyard_generations_unpriced",
            "Generations stored without a cost (the model's price is unknown).",
            ["project", "provider", "model"],
            unpriced,
        )
        yield _family(
            "promptyard_feedback",
            "End-user feedback stored, by kind.",
            ["project", "kind"],
            feedback,
        )


def _family(
    name: str, help_text: str, labels: list[str], values: Mapping[Any, float]
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, help_text, labels=labels)
    for key, value in sorted(values.items()):
        family.add_metric(list(key), value)
    return family


#: This process's counters (ingest adds to them; ``GET /metrics`` reads them).
COUNTERS = GenerationCounters()


def generation_source() -> Callable[[], Iterator[Metric]]:
    """The metrics source for ``Metrics.add_source`` (``server/metrics.py``)."""
    return COUNTERS.collect
