"""Whether two sets of runs differ, and whether one set is stable enough to trust.

Two backends (or two sweeps) differ in a timing only when both of these say so:
- the 95 % bootstrap confidence interval of the ratio of their medians excludes 1
  (SciPy's ``bootstrap``, each set resampled independently, percentile method, 9 999
  resamples with a fixed seed, so a report rebuilt from the same records reads the same);
- the two-sided Mann–Whitney U test (as asv uses) gives p < 0.05.
The bootstrap alone is too confident with a handful of runs; Mann–Whitney alone says nothing
about the size of the difference. With fewer than 4 runs on a side Mann–Whitney cannot reach
p < 0.05 at all, so such a pair is always "indistinguishable", with the runs it would take.

A set of runs is *unstable* (pyperf's warning) when its standard deviation exceeds 10 % of
its mean: the median is then a rough guide only.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
CONFIDENCE = 1 - ALPHA
RESAMPLES = 9999
SEED = 20221125  # fixed: the same records always give the same interval
MIN_RUNS_FOR_TEST = 4  # the fewest runs per side with which Mann-Whitney can reach p < 0.05
RUNS_NEEDED_CAP = 100
POWER = 0.80  # the projected runs per side give this chance of telling a true difference apart
UNSTABLE_RELATIVE_SD = 0.10


@dataclass
class RatioTest:
    """b against a: ``ratio`` = median(b) / median(a) with its interval and test."""

    ratio: float
    low: float
    high: float
    p_value: float
    runs_a: int
    runs_b: int
    differ: bool
    runs_needed: int | None  # per side for POWER, projected, when they do not differ (None: > cap or unknown)
    alpha: float = ALPHA  # the level of this test: ALPHA, or ALPHA per look of an adaptive sweep

    def interval_text(self) -> str:
        if self.low != self.low:
            return f"ratio {self.ratio:.2f}, no interval from one run"
        level = "" if self.alpha == ALPHA else f" (α = {self.alpha:.3g} per look: adaptive runs)"
        return (f"ratio {self.ratio:.2f}, {1 - self.alpha:.1%} CI {self.low:.2f}–{self.high:.2f}, "
                f"Mann–Whitney p = {self.p_value:.2g}{level}").replace(".0% CI", "% CI")

    def verdict_text(self) -> str:
        runs, fewest = min(self.runs_a, self.runs_b), min_runs_for_test(self.alpha)
        at = f"at {runs} run{'s' if runs != 1 else ''}"
        if self.differ:
            return f"a real difference {at}"
        if runs < fewest and self.low == self.low and (self.low > 1 or self.high < 1):
            more = (f"the interval excludes 1, but the rank test needs at least {fewest} runs "
                    "each to confirm a difference")
        elif self.runs_needed is None:
            more = f"more than {RUNS_NEEDED_CAP} runs each would be needed to tell them apart"
        elif runs < 2:
            more = f"at least {fewest} runs each are needed to test a difference"
        else:
            more = (f"about {self.runs_needed} runs each would tell them apart with {POWER:.0%} power, "
                    "if the difference and spread are as measured")
        return f"indistinguishable {at} ({more})"


def min_runs_for_test(alpha: float = ALPHA) -> int:
    """The fewest runs per side with which the exact two-sided Mann–Whitney test can reach
    p < alpha: its smallest p is 2 / C(2n, n) (4 runs at 0.05, 5 at 0.025)."""
    runs = 1
    while 2 / math.comb(2 * runs, runs) >= alpha:
        runs += 1
    return runs


def _median_ratio(a, b, axis=-1):
    return np.median(b, axis=axis) / np.median(a, axis=axis)


def compare_runs(a, b, alpha: float = ALPHA) -> RatioTest:
    """Test whether the values ``b`` differ from ``a`` (module docstring) at level ``alpha``: the
    interval is the 1 - alpha bootstrap interval and Mann–Whitney's p must be below alpha (an
    adaptive sweep tests at ALPHA divided by its looks, samplerbench.analysis.race)."""
    from scipy import stats

    a = np.asarray([v for v in a if v == v], dtype=float)
    b = np.asarray([v for v in b if v == v], dtype=float)
    if len(a) == 0 or len(b) == 0:
        raise ValueError("compare_runs needs at least one value on each side")
    ratio = float(_median_ratio(a, b))
    low = high = p_value = math.nan
    if len(a) >= 2 and len(b) >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # degenerate resamples of identical values
            interval = stats.bootstrap((a, b), _median_ratio, vectorized=True, paired=False,
                                       confidence_level=1 - alpha, n_resamples=RESAMPLES,
                                       method="percentile", rng=np.random.default_rng(SEED)).confidence_interval
            p_value = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
        low, high = float(interval.low), float(interval.high)
    differ = bool(low == low and (low > 1 or high < 1) and p_value < alpha)
    return RatioTest(ratio, low, high, p_value, len(a), len(b), differ,
                     None if differ else _runs_needed(a, b, min(len(a), len(b)), alpha), alpha)


# The rule's interval is of the ratio of *medians*, and the median's asymptotic efficiency
# against the mean for normal data is 2/pi: it needs about 1.57 times the runs of a t test for
# the same power (Mann-Whitney's 3/pi is the looser of the two conditions).
MEDIAN_EFFICIENCY = 2 / math.pi


def _runs_needed(a, b, runs: int, alpha: float = ALPHA) -> int | None:
    """The runs per side at which a difference of the observed size (on the log scale), with the
    observed spread, would be told apart with probability POWER by a two-sided test at ALPHA:
    n = 2 (z_{1-ALPHA/2} + z_POWER)^2 sd^2 / d^2, divided by the median's efficiency (the rule compares medians), never
    fewer than Mann-Whitney needs. (The earlier projection, where the interval's half-width
    would equal the difference, gave about 50 % power.)"""
    from scipy.stats import norm

    if runs < 2:
        return min_runs_for_test(alpha)
    log_a, log_b = np.log(a[a > 0]), np.log(b[b > 0])
    if len(log_a) < 2 or len(log_b) < 2:
        return None
    difference = abs(float(np.median(log_b) - np.median(log_a)))
    spread = math.sqrt((log_a.var(ddof=1) + log_b.var(ddof=1)) / 2)
    if difference == 0 or spread == 0:
        return None
    z = norm.ppf(1 - alpha / 2) + norm.ppf(POWER)
    needed = max(min_runs_for_test(alpha), runs + 1,
                 math.ceil(2 * (z * spread / difference) ** 2 / MEDIAN_EFFICIENCY))
    return needed if needed <= RUNS_NEEDED_CAP else None


def relative_sd(values) -> float:
    """Standard deviation over the mean (NaN with fewer than 2 values)."""
    values = np.asarray([v for v in values if v == v], dtype=float)
    if len(values) < 2 or values.mean() == 0:
        return math.nan
    return float(values.std(ddof=1) / abs(values.mean()))


def is_unstable(values) -> bool:
    return relative_sd(values) > UNSTABLE_RELATIVE_SD
