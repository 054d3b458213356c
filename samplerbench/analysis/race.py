"""Adaptive runs (``--runs auto``): after each round of runs, which backends can still matter for
a sentence of the verdict, and when every sentence is decided.

A *sentence* is one question of the verdict for a (model, n) that names a winner: the fastest to
the headline ESS, cold and warm; the fastest to a low error against the reference, where there
is one; the fastest draws (cold and warm pooled). Its
*contenders* are the backends that may win it (the verdict's own eligibility rule) and have not
left it.

The rule, round by round (round r = every remaining backend's r-th run, cold and warm):
- Every backend runs ``MIN_RUNS`` rounds: a minimum and a median over runs need more than one.
- From then on a backend leaves a sentence when at least ``NAMED`` other contenders (the winner
  and the runner-up the sentence names) are each clearly faster than it: while a side has fewer
  runs than the rank test needs, the bootstrap interval of the ratio of medians lies wholly
  above ``LEAVE_RATIO``; from then on, the verdict's rule says a real difference.
  A backend that may not win any sentence (it failed, diverged, is approximate, ...) leaves
  after the minimum: it is reported with the runs it has.
- A sentence is *decided* when one contender is left; at a look (``looks``: the first round its
  contenders have ``FIRST_LOOK`` runs each, and the one they have ``--max-runs``), when the
  leader really differs from every other contender; from ``FUTILE_FROM`` runs each, when the
  runs the leader and the runner-up would need exceed ``--max-runs`` (more runs would not decide
  it). A backend runs on, in the cache modes a sentence reads, while it contends for an
  undecided sentence; the race ends when every sentence is decided, or at ``--max-runs``.

No false winners from stopping early: a difference is called real at a look only at level
ALPHA / len(looks) (Bonferroni over the pre-set looks), both in the race and in the verdict of
an adaptive sweep, so the chance that two backends of one distribution are called different at
any look stays at most ALPHA. Ending a sentence as undecidable claims no difference and spends
nothing. A fixed ``--runs N`` sweep has one look and tests at ALPHA.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from samplerbench.analysis.uncertainty import ALPHA, compare_runs, min_runs_for_test

MIN_RUNS = 2
FIRST_LOOK = 5  # runs per side at the first look: the fixed sweep's count (the reference table's "best of 5")
FUTILE_FROM = 3  # runs per side from which "more runs would not decide it" may end a sentence
DEFAULT_MAX_RUNS = 10
LEAVE_RATIO = 1.25  # before the rank test can speak, at least this many times slower, for sure
NAMED = 2  # a sentence names the winner and the runner-up
AUTO = "auto"


def looks(max_runs: int) -> tuple[int, ...]:
    """The runs per side at which a difference may be called real: FIRST_LOOK and --max-runs.
    A sentence looks at the first round its contenders have at least that many runs (a round
    adds one run per cache mode it reads: two for the pooled draws)."""
    return tuple(sorted({min(FIRST_LOOK, max_runs), max_runs}))


def look_alpha(max_runs: int) -> float:
    """The level of each look's test: ALPHA spent equally over the looks (Bonferroni)."""
    return ALPHA / len(looks(max_runs))


def verdict_alpha(config: dict | None) -> float:
    """The level of a sweep's verdict: look_alpha for an adaptive sweep, else ALPHA."""
    config = config or {}
    if config.get("runs") != AUTO:
        return ALPHA
    return look_alpha(int(config.get("max_runs") or DEFAULT_MAX_RUNS))


@dataclass
class Sentence:
    """One question of the verdict, with each contender's values over its runs so far."""

    key: str  # in words: "cold: time to 1,000 ESS"
    caches: tuple[str, ...]  # the cache modes whose runs it reads
    values: dict[str, list[float]]  # backend -> its runs' values
    lower_is_better: bool = True
    what: str = "time"  # what the ratio compares, for the reasons: "time to 1,000 ESS"


@dataclass
class Standing:
    """A sentence after a round: who still contends, who left (with why), decided or not."""

    contenders: list[str]
    left: dict[str, str] = field(default_factory=dict)
    decided: str | None = None  # why it is decided, or None


def _worse(x: list[float], y: list[float], lower_is_better: bool, alpha: float):
    """(x is clearly worse than y, the test of x against y as 'times worse', its words)."""
    a, b = (y, x) if lower_is_better else (x, y)  # ratio = median(b) / median(a) = how many times worse
    test = compare_runs(a, b, alpha)
    if min(len(x), len(y)) < min_runs_for_test(alpha):
        words = (f"{1 - alpha:.1%} bootstrap CI {test.low:.2f}–{test.high:.2f}, wholly above {LEAVE_RATIO:g}"
                 .replace(".0%", "%"))
        return test.low == test.low and test.low > LEAVE_RATIO, test, words
    return test.differ and test.ratio > 1, test, test.interval_text()


def _median(values: list[float]) -> float:
    return float(np.median(values))


def judge(sentence: Sentence, round_: int, max_runs: int, gone: set[str] = frozenset()) -> Standing:
    """The sentence after ``round_``: ``gone`` are the backends that left it earlier."""
    alpha = look_alpha(max_runs)
    names = [name for name, v in sentence.values.items() if v and name not in gone]
    order = sorted(names, key=lambda name: _median(sentence.values[name]),
                   reverse=not sentence.lower_is_better)
    standing = Standing(list(order))
    if round_ >= MIN_RUNS:
        for name in order[NAMED:]:
            better = [(other, test, words) for other in order if other != name and other not in standing.left
                      for worse, test, words in [_worse(sentence.values[name], sentence.values[other],
                                                        sentence.lower_is_better, alpha)] if worse]
            if len(better) >= NAMED:
                leader, test, words = better[0]
                times = f"{test.ratio:.2f}× {leader}'s" if sentence.lower_is_better else f"1/{test.ratio:.2f} of {leader}'s"
                standing.left[name] = f"{times} {sentence.what} ({words}; sentence: {sentence.key})"
        standing.contenders = [name for name in order if name not in standing.left]
        standing.decided = _decision(sentence, standing.contenders, round_, max_runs, alpha)
    return standing


def _decision(sentence: Sentence, contenders: list[str], round_: int, max_runs: int, alpha: float) -> str | None:
    """Why the sentence is decided after this round, or None: one contender left (any round);
    the leader really differs from every other contender (at a look only: that spends α); the
    leader and the runner-up would need more runs than --max-runs allows (from FUTILE_FROM runs:
    stopping for that claims no difference, so it spends no α); the last round."""
    if len(contenders) <= 1:
        return "one contender left" if contenders else "no contender"
    values = sentence.values
    leader, runner_up = contenders[0], contenders[1]
    runs = min(len(values[name]) for name in contenders)
    per_round = len(sentence.caches)
    tests = {name: _worse(values[name], values[leader], sentence.lower_is_better, alpha)[1]
             for name in contenders[1:]}
    at_look = any(runs >= look > runs - per_round for look in looks(max_runs))
    if at_look and all(test.differ for test in tests.values()):
        return f"{leader} really differs from {', '.join(contenders[1:])} (at {runs} runs each)"
    needed = tests[runner_up].runs_needed
    if runs >= FUTILE_FROM and (needed is None or needed > max_runs * per_round):
        more = "more than 100" if needed is None else f"about {needed}"
        return (f"{leader} and {runner_up} are indistinguishable at {runs} runs each, and {more} runs each would "
                f"be needed to tell them apart (--max-runs {max_runs})")
    if round_ >= max_runs or runs >= max_runs * per_round:
        return f"--max-runs {max_runs} reached"
    return None
