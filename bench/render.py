"""Benchmark: rendering an already compiled (cached) template.

Target (issue 2): <= 50 us median for a cached compiled template. Measures the engine
alone, and the full render path the API uses for a stored text prompt (variable check,
reference resolution, render), both after one warm-up render.
Run: ``.venv/bin/python bench/render.py``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from promptyard.domain.templates import PromptRef, TemplateEngine

SMALL = "Hello {{ name }}, you are {{ age }} years old."
MEDIUM = (
    "You are a support assistant for {{ product }}.\n"
    "{% for rule in rules %}- {{ rule }}\n{% endfor %}"
    "Answer in a {{ tone | default('friendly') }} tone.\n"
    "{% if customer.vip %}The customer is a VIP.{% endif %}\n"
    "Question: {{ question }}"
)
COMPOSED = 'System: {% include "prompt:tone@production" %}\nUser: {{ question }}'
TONE = "Be {{ tone | default('kind') }} and brief."


def measure(fn: Callable[[], object], runs: int = 20_000) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - started)
    samples.sort()
    return statistics.median(samples) / 1000, samples[int(len(samples) * 0.99)] / 1000


def main() -> None:
    engine = TemplateEngine()
    variables = {
        "name": "Ada",
        "age": 36,
        "product": "Promptyard",
        "rules": ["be brief", "cite docs"],
        "customer": {"vip": True},
        "question": "How do I move a label?",
    }

    def resolver(ref: PromptRef) -> str:
        return TONE

    rows = [
        ("small text, 2 variables", measure(lambda: engine.render(SMALL, variables))),
        ("loop, filter, condition", measure(lambda: engine.render(MEDIUM, variables))),
        (
            "include of another prompt",
            measure(lambda: engine.render(COMPOSED, variables, resolver=resolver)),
        ),
        (
            "variables check + render (API path)",
            measure(
                lambda: (
                    engine.variables(SMALL, None),
                    engine.render(SMALL, variables),
                )
            ),
        ),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'cached template'.ljust(width)} | median us | p99 us | target")
    print(f"{'-' * width}-|-----------|--------|-------")
    for name, (median, p99) in rows:
        target = "<= 50 us median" if name.startswith("small") else ""
        print(f"{name.ljust(width)} | {median:9.1f} | {p99:6.1f} | {target}")


if __name__ == "__main__":
    main()
