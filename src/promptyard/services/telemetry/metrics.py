"""Business metrics of the generation record for ``GET /metrics``: generations, tokens,
cost and feedback stored by this process since it started (Prometheus counters: sum
them over the server's processes; a restart is a counter reset Prometheus handles).

Label cardinality is bounded: ``project`` (a workspace has few), ``provider`` and
``model`` as reported, but at most :data:`MAX_MODELS` distinct models per process (the
rest count under ``model="other"``); never a label per user, prompt version or id.

Ingest delay (``promptyard_generation_ingest_delay_seconds``, a histogram by ``source``:
``api``, ``otlp``, ...): from the end of the LLM call (start time + latency) to the moment
the server stored it; the SDK's batching, an app's exporter queue and retries all show
here. A backfill of old generations lands in the top bucket.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

MAX_MODELS = 200
OTHER = "other"
#: Distinct prompt names counted per process (the rest under ``prompt="other"``;
#: generations without a prompt under ``prompt="none"``).
MAX_PROMPTS = 200
NO_PROMPT = "none"
#: Upper bounds (seconds) of the ingest delay histogram.
DELAY_BUCKETS: tuple[float, ...] = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


class GenerationCounters:
    """Counts kept at ingest, read at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: set[str] = set()
        self._prompts: set[str] = set()
        self.generations: Counter[tuple[str, str, str, str]] = Counter()
        self.tokens: Counter[tuple[str, str, str, str]] = Counter()
        self.cost: Counter[tuple[str, str, str]] = Counter()
        self.unpriced: Counter[tuple[str, str, str]] = Counter()
        self.feedback: Counter[tuple[str, str]] = Counter()
        self.prompt_generations: Counter[tuple[str, str, str]] = Counter()
        self.prompt_latency: Counter[tuple[str, str]] = Counter()
        self.prompt_cost: Counter[tuple[str, str]] = Counter()
        #: source -> (bucket counts, not cumulative, the last one +Inf; sum of seconds)
        self.delays: dict[str, tuple[list[int], list[float]]] = {}

    def _model(self, model: str | None) -> str:
        name = model or "unknown"
        if name in self._models:
            return name
        if len(self._models) >= MAX_MODELS:
            return OTHER
        self._models.add(name)
        return name

    def _prompt(self, name: str | None) -> str:
        if not name:
            return NO_PROMPT
        if name in self._prompts:
            return name
        if len(self._prompts) >= MAX_PROMPTS:
            return OTHER
        self._prompts.add(name)
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
                self._add_delay(row)
                self._add_prompt(project, row)

    def _add_prompt(self, project: str, row: dict[str, Any]) -> None:
        prompt = self._prompt(row.get("prompt_name"))
        self.prompt_generations[(project, prompt, row["status"])] += 1
        if row.get("latency_ms") is not None:
            self.prompt_latency[(project, prompt)] += row["latency_ms"] / 1000
        if row.get("input_cost") is not None and (row.get("currency") or "USD") == "USD":
            self.prompt_cost[(project, prompt)] += row["input_cost"] + row["output_cost"]

    def _add_delay(self, row: dict[str, Any]) -> None:
        stored, start = row.get("created_at"), row.get("start_time")
        if stored is None or start is None:
            return
        ended = start.timestamp() + (row.get("latency_ms") or 0.0) / 1000
        delay = max(0.0, stored.timestamp() - ended)
        buckets, total = self.delays.setdefault(
            str(row.get("source") or "unknown"), ([0] * (len(DELAY_BUCKETS) + 1), [0.0])
        )
        buckets[bisect_left(DELAY_BUCKETS, delay)] += 1
        total[0] += delay

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
                {k: (list(b), t[0]) for k, (b, t) in self.delays.items()},
                (dict(self.prompt_generations), dict(self.prompt_latency), dict(self.prompt_cost)),
            )
        generations, tokens, cost, unpriced, feedback, delays, prompts = snapshot
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
        yield _family(
            "promptyard_prompt_generations",
            f"Generations stored, by prompt name (at most {MAX_PROMPTS} per process; "
            '"none" without a prompt) and status.',
            ["project", "prompt", "status"],
            prompts[0],
        )
        yield _family(
            "promptyard_prompt_generation_latency_seconds",
            "Total latency of the generations of a prompt, in seconds (divide by the count).",
            ["project", "prompt"],
            prompts[1],
        )
        yield _family(
            "promptyard_prompt_generation_cost_usd",
            "Cost in USD of the priced generations of a prompt.",
            ["project", "prompt"],
            prompts[2],
        )
        histogram = HistogramMetricFamily(
            "promptyard_generation_ingest_delay_seconds",
            "From the end of an LLM call to its generation being stored, by ingest source.",
            labels=["source"],
        )
        for source, (buckets, total) in sorted(delays.items()):
            cumulative, running = [], 0
            for bound, count in zip((*map(str, DELAY_BUCKETS), "+Inf"), buckets, strict=True):
                running += count
                cumulative.append((bound, running))
            histogram.add_metric([source], cumulative, total)
        yield histogram


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
