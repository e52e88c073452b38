"""The statistics of experiments, checked by simulation (the full form of
tests/domain/test_statistics_simulation.py).

- A/A runs (no true difference) for every test: the share that rejects must be the
  nominal 5 % (within about three standard errors of the simulated rate; McNemar's
  exact and continuity-corrected test may reject less, never more).
- Repeated peeking: A/A runs looked at 20 times; the always-valid mSPRT p-value keeps
  its 5 %, a fixed-horizon z-test repeated at each look does not.
- Known effects at the sample size the power calculator gives for 80 % power: the share
  that rejects must be about 80 %.

    python bench/experiment_stats.py              # 10,000 runs per row (a few minutes)
    python bench/experiment_stats.py --runs 2000  # quicker

Prints a table.
"""

from __future__ import annotations

import argparse
import math
import time

from promptyard.domain.statistics.simulation import (
    TESTS,
    Peeking,
    achieved_power,
    false_positive_rate,
    peeking,
)

SIZES = {
    "welch_t": 100,
    "mann_whitney": 100,
    "two_proportion_z": 1000,
    "paired_t": 50,
    "wilcoxon": 50,
    "mcnemar": 100,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    runs = args.runs
    print("| check | runs | n per run | rejected | expected | within 3 SE | seconds |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
    for test in TESTS:
        started = time.perf_counter()
        rate = false_positive_rate(test, runs=runs, n=SIZES[test], seed=args.seed)
        ok = rate.rate <= 0.05 + 3 * rate.standard_error
        if test != "mcnemar":
            ok = ok and abs(rate.rate - 0.05) <= 3 * rate.standard_error
        _row(f"A/A {test}", runs, rate.n, rate.rate, 0.05, ok, started)
    started = time.perf_counter()
    chunks = [
        peeking(runs=min(2000, runs - done), n_max=2000, looks=20, tau=0.2, seed=args.seed + done)
        for done in range(0, runs, 2000)
    ]  # 2,000 runs at a time: each is two 2,000 x 2,000 matrices
    peek = Peeking(
        runs, 20, 2000,
        sum(c.msprt_rate * c.runs for c in chunks) / runs,
        sum(c.naive_rate * c.runs for c in chunks) / runs,
        sum(c.msprt_miscoverage * c.runs for c in chunks) / runs,
    )  # fmt: skip
    se = math.sqrt(0.05 * 0.95 / runs)
    _row("A/A, 20 looks: mSPRT always-valid p", runs, 2000, peek.msprt_rate, 0.05,
         peek.msprt_rate <= 0.05 + 3 * se, started)  # fmt: skip
    _row("A/A, 20 looks: always-valid CI misses 0", runs, 2000, peek.msprt_miscoverage, 0.05,
         peek.msprt_miscoverage <= 0.05 + 3 * se, started)  # fmt: skip
    _row("A/A, 20 looks: naive z-test at every look", runs, 2000, peek.naive_rate, 0.05,
         False, started)  # fmt: skip
    for test, effect in (("welch_t", 0.3), ("two_proportion_z", 0.05), ("paired_t", 0.3)):
        started = time.perf_counter()
        power_runs = max(1000, runs // 5)
        result = achieved_power(test, runs=power_runs, effect=effect, seed=args.seed)
        se = math.sqrt(result.expected * (1 - result.expected) / power_runs)
        _row(f"power {test}, effect {effect}", power_runs, result.n, result.rate,
             result.expected, abs(result.rate - result.expected) <= 3 * se, started)  # fmt: skip


def _row(
    name: str, runs: int, n: int, rate: float, expected: float, ok: bool, started: float
) -> None:
    seconds = time.perf_counter() - started
    verdict = "yes" if ok else "**no**"
    print(
        f"| {name} | {runs:,} | {n:,} | {rate:.2%} | {expected:.1%} | {verdict} | {seconds:.1f} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
