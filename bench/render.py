"""Benchmark: rendering an already compiled (cached) template, and diffing big versions.

Target (issue 2): <= 50 us median for a cached compiled template. Measures the engine
alone, and the full render path the API uses for a stored text prompt (variable check,
reference resolution, render), both after one warm-up render.

A second table times the word diff the console shows between two versions, on 50 KB
prompts (a few edits, and an unrelated rewrite); target: well under 1 s each. The unit
tests check only what does not depend on the machine (a template is compiled once; the
diff's work stays a small fraction of a plain SequenceMatcher's); the timings are here.
Run: ``.venv/bin/python bench/render.py``.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from promptyard.domain.diff import word_diff
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
    print()
    diff_table()


def _prose(rng: random.Random, size: int) -> str:
    """About ``size`` characters of words, a fifth of them common ones, a few line breaks."""
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
        for _ in range(2000)
    ]
    common = ["the", "a", "of", "to", "and", "{{ name }}", ",", "."]
    words: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(common) if rng.random() < 0.4 else rng.choice(vocabulary)
        words.append(word + ("\n" if rng.random() < 0.05 else " "))
        length += len(words[-1])
    return "".join(words)


def diff_table() -> None:
    rng = random.Random(7)
    old = _prose(rng, 50_000)
    chars = list(old)
    for _ in range(10):
        at = rng.randrange(len(chars))
        chars[at : at + 4] = "EDITED "
    edited = "".join(chars)
    unrelated = _prose(rng, 50_000)
    cases = [
        ("10 small edits", old, edited),
        ("10 small edits, one line", old.replace("\n", " "), edited.replace("\n", " ")),
        ("unrelated rewrite", old, unrelated),
    ]
    width = max(len(name) for name, _, _ in cases)
    print(f"{'word diff, 50 KB'.ljust(width)} | median ms | max ms | target")
    print(f"{'-' * width}-|-----------|--------|-------")
    for name, a, b in cases:
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            word_diff(a, b)
            samples.append((time.perf_counter() - started) * 1000)
        print(
            f"{name.ljust(width)} | {statistics.median(samples):9.1f} | {max(samples):6.1f} "
            "| < 1000 ms"
        )


if __name__ == "__main__":
    main()
