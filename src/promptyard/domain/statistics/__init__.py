"""Statistics for experiments: pure functions over numbers and arrays (numpy, scipy).

- :mod:`.twosample`: Welch's t-test, Mann-Whitney U, the two-proportion z-test,
  bootstrap intervals (independent samples: online experiments);
- :mod:`.paired`: paired t-test, Wilcoxon signed-rank, McNemar (paired by case:
  offline experiments), and :func:`.paired.pair_by_case`;
- :mod:`.power`: power and sample size for two means and two proportions;
- :mod:`.sequential`: always-valid p-values and intervals (mSPRT, normal mixture);
- :mod:`.srm`: sample ratio mismatch;
- :mod:`.verdict`: a result in words (better, worse, no detectable difference).

Every test returns a :class:`.results.Comparison`: the estimate (treatment minus
control), its confidence interval, the p-value and an effect size with its interval.
See docs/statistics.md.
"""

from promptyard.domain.statistics.paired import mcnemar, pair_by_case, paired_t, wilcoxon
from promptyard.domain.statistics.power import (
    power_two_means,
    power_two_proportions,
    sample_size_two_means,
    sample_size_two_proportions,
)
from promptyard.domain.statistics.results import Comparison, Summary
from promptyard.domain.statistics.sequential import SequentialResult, msprt, msprt_path
from promptyard.domain.statistics.srm import SrmResult, sample_ratio_mismatch
from promptyard.domain.statistics.twosample import (
    bootstrap_ci,
    mann_whitney,
    two_proportions,
    welch,
    welch_from_summary,
)
from promptyard.domain.statistics.verdict import Verdict, verdict

__all__ = [
    "Comparison",
    "SequentialResult",
    "SrmResult",
    "Summary",
    "Verdict",
    "bootstrap_ci",
    "mann_whitney",
    "mcnemar",
    "msprt",
    "msprt_path",
    "pair_by_case",
    "paired_t",
    "power_two_means",
    "power_two_proportions",
    "sample_ratio_mismatch",
    "sample_size_two_means",
    "sample_size_two_proportions",
    "two_proportions",
    "verdict",
    "welch",
    "welch_from_summary",
    "wilcoxon",
]
