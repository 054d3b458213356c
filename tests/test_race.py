"""Adaptive runs (issue 27): the stopping rule on simulated timings (a unit test of the rule, not
a stand-in for real runs), and the plan of a fixed sweep unchanged."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from samplerbench.analysis.race import ALPHA, Sentence, judge, look_alpha, looks, verdict_alpha
from samplerbench.analysis.uncertainty import compare_runs
from samplerbench.fields import FLOOR
from samplerbench.store.database import ResultStore
from samplerbench.sweep.config import SweepConfig
from samplerbench.sweep.orchestrator import plan

MAX_RUNS = 10
REPLICATES = 600
SPREAD = 0.15  # log-sd of a run's time: about the spread of cold runs on the development machine


def race(draw, names, rng, max_runs=MAX_RUNS):
    """One simulated race of one sentence: (round it stopped at, its standing, values so far)."""
    values = {name: [] for name in names}
    gone: set[str] = set()
    for round_ in range(1, max_runs + 1):
        for name in names:
            if name not in gone:
                values[name].append(draw(name, rng))
        standing = judge(Sentence("cold: time to 1,000 ESS", ("cold",), values), round_, max_runs, gone)
        gone |= set(standing.left)
        if standing.decided:
            return round_, standing, values
    raise AssertionError("a race must be decided by --max-runs")


def called_different(values, standing, alpha) -> bool:
    """The verdict's sentence at the stop: the leader against the runner-up, at the sweep's level."""
    leader, runner_up = standing.contenders[:2]
    return compare_runs(values[leader], values[runner_up], alpha).differ


def test_an_adaptive_sweep_tests_at_alpha_spent_over_its_looks():
    assert looks(MAX_RUNS) == (5, 10) and look_alpha(MAX_RUNS) == ALPHA / 2
    assert verdict_alpha({"runs": "auto", "max_runs": MAX_RUNS}) == look_alpha(MAX_RUNS)
    assert verdict_alpha({"runs": 5}) == ALPHA  # a fixed sweep: one look, as before


def test_two_backends_of_one_distribution_are_rarely_called_different():
    """A/A: the same timings under two names. Called "a real difference" at the stop no more often
    than ALPHA (within the simulation's error); testing at ALPHA after every round (stopping at the
    first difference) is shown to exceed it in the same simulation, so the check can fail."""
    rng = np.random.default_rng(27)

    def draw(name, rng):
        return float(np.exp(rng.normal(0.0, SPREAD)))

    adaptive = naive = 0
    for _ in range(REPLICATES):
        _, standing, values = race(draw, ["a", "b"], rng)
        adaptive += called_different(values, standing, look_alpha(MAX_RUNS))
        a = [draw("a", rng) for _ in range(MAX_RUNS)]
        b = [draw("b", rng) for _ in range(MAX_RUNS)]
        naive += any(compare_runs(a[:r], b[:r]).differ for r in range(4, MAX_RUNS + 1))
    error = 2 * np.sqrt(ALPHA * (1 - ALPHA) / REPLICATES)
    print(f"false differences: adaptive {adaptive}/{REPLICATES}, naive {naive}/{REPLICATES}")
    assert adaptive / REPLICATES <= ALPHA + error, adaptive
    assert naive / REPLICATES > ALPHA + error, naive  # peeking at ALPHA after every round inflates it


def test_a_clearly_faster_backend_is_named_at_the_first_look():
    """Two clearly different distributions: the race stops at round 5 (before --max-runs) in
    nearly every replicate and names the faster backend."""
    rng = np.random.default_rng(2027)

    def draw(name, rng):
        return float(np.exp(rng.normal(0.0 if name == "fast" else np.log(2.0), SPREAD)))

    early = named = 0
    for _ in range(200):
        stopped, standing, values = race(draw, ["slow", "fast"], rng)
        early += stopped == looks(MAX_RUNS)[0]
        named += standing.contenders[0] == "fast" and called_different(values, standing, look_alpha(MAX_RUNS))
    assert early >= 190 and named >= 190, (early, named)


def test_a_clearly_slow_backend_leaves_after_the_minimum_and_a_close_one_stays():
    """Three backends: one 5× slower than two that tie leaves after round 2, with its ratio and
    interval in the reason; one 5 % behind is kept (it could still be the runner-up)."""
    rng = np.random.default_rng(7)
    values = {"a": [1.00, 1.04], "b": [1.02, 0.98], "slow": [5.1, 4.8], "close": [1.05, 1.07]}
    standing = judge(Sentence("cold: time to 1,000 ESS", ("cold",), values, what="time to 1,000 ESS"), 2, MAX_RUNS)
    assert list(standing.left) == ["slow"], standing.left
    assert "× b's time to 1,000 ESS" in standing.left["slow"]  # b's median is the lowest and "wholly above 1.25" in standing.left["slow"]
    assert "close" in standing.contenders and standing.decided is None  # round 2 is no look
    first = judge(Sentence("cold: time to 1,000 ESS", ("cold",), {k: v[:1] for k, v in values.items()}), 1, MAX_RUNS)
    assert not first.left  # nobody leaves before the minimum of 2 runs
    del rng


def test_fixed_runs_keep_the_plan_of_a_fixed_sweep():
    """--runs 5: per model and n the floor, then run 1 cold of every backend, run 1 warm of every
    backend, run 2 cold, ... (the plan before adaptive runs, key for key)."""
    names = ["pystan", "numpyro", "nutpie"]
    cfg = SweepConfig(models=["linear_regression", "eight_schools"], samplers=names, ns=[100, 2000], runs=5, cache="both")
    expected = []
    for model in cfg.models:
        for n in cfg.ns:
            expected.append((FLOOR, model, n, "", FLOOR, 1))
            expected += [("run", model, n, cache, name, run) for run in range(1, 6) for cache in ("cold", "warm")
                         for name in names]
    assert [task.key for task in plan(cfg)] == expected


@pytest.mark.parametrize("runs", [1, 3])
def test_fixed_runs_count_what_they_say(runs):
    cfg = SweepConfig(samplers=["numpyro"], runs=runs, cache="cold", gradient_floor=False)
    assert [task.run for task in plan(cfg)] == list(range(1, runs + 1))


# --- a real race: pystan from a cold start beside two NumPyro backends ---------------------------

REPO = Path(__file__).resolve().parent.parent
COMPARE = [sys.executable, str(REPO / "scripts" / "compare.py")]
RACE_SWEEP = ["--samplers", "pystan", "numpyro", "blackjax", "--n", "60", "--cache", "cold", "--max-runs", "3",
              "--no-gradient-floor"]
SHARES_RACE = pytest.mark.xdist_group("race-sweep")


def run(cmd, expect=0):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500, cwd=REPO)
    assert proc.returncode == expect, proc.stdout + proc.stderr
    return proc


def timed_runs(db: Path) -> dict[str, list[int]]:
    with ResultStore(db, create=False) as store:
        [sweep] = store.sweeps()
        records = store.records(sweep.sweep_id)
    out: dict[str, list[int]] = {}
    for record in records:
        if not record.get("priming"):
            out.setdefault(record["sampler"], []).append(int(record["run"]))
    return {name: sorted(runs) for name, runs in out.items()}


@pytest.fixture(scope="module")
def race_sweep(tmp_path_factory):
    """The default chains, warmup and draws (converged chains: only they can win), n = 60, cold
    runs; PyStan's C++ build makes its time to 1 000 ESS several times NumPyro's and BlackJAX's.
    A budget of 0.6 s cuts the race after its minimum of 2 rounds; --resume with a new budget
    finishes it."""
    root = tmp_path_factory.mktemp("race")
    db, out = root / "store.sqlite", root / "reports"
    cut = run([*COMPARE, *RACE_SWEEP, "--budget", "0.01", "--db", str(db), "--out", str(out), "--name", "race"])
    cut_runs, cut_text = timed_runs(db), (out / "race.md").read_text()
    proc = run([*COMPARE, "--db", str(db), "--out", str(out), "--resume", "--budget", "60"])
    return db, out, proc, (cut, cut_runs, cut_text)


@pytest.mark.slow
@SHARES_RACE
def test_a_clearly_slow_backend_leaves_the_real_race_and_the_report_says_why(race_sweep):
    db, out, proc, (cut, _, _) = race_sweep
    assert timed_runs(db) == {"pystan": [1, 2], "numpyro": [1, 2, 3], "blackjax": [1, 2, 3]}, proc.stdout
    assert re.search(r"pystan \(cold\) leaves the race: \d+\.\d\d× (numpyro|blackjax)'s time to 1,000 ESS", cut.stdout)
    assert "race over: every sentence of the verdict decided after round 3" in proc.stdout
    text = (out / "race.md").read_text()
    assert re.search(r"\| pystan \| cold \| 2 \| left the race after round 2: \d+\.\d\d× (numpyro|blackjax)'s time "
                     r"to 1,000 ESS \(95% bootstrap CI [\d.]+–[\d.]+, wholly above 1.25", text), text
    assert "adaptive runs (2 to 3 per backend within 0.01 min; differences tested at α = 0.05 per look)" in text
    assert "| pystan " in text and "ok (2/2)" in text and "ok (3/3)" in text
    with ResultStore(db, create=False) as store:
        assert store.sweeps()[0].complete


@pytest.mark.slow
@SHARES_RACE
def test_a_budget_cuts_the_race_after_its_minimum_and_resume_finishes_it(race_sweep):
    _, _, proc, (cut, cut_runs, cut_text) = race_sweep
    assert cut_runs == {"pystan": [1, 2], "numpyro": [1, 2], "blackjax": [1, 2]}, cut.stdout
    assert "race over: --budget 0.01 min: round 3 would have ended after it" in cut.stdout
    assert "**Sweep: INCOMPLETE**" in cut_text and "**cut short after round 2**" in cut_text
    assert "resuming the race: 2 measurements owed in this round" in proc.stdout


@pytest.mark.slow
@SHARES_RACE
def test_a_resumed_race_measures_only_what_its_round_still_owes(race_sweep, tmp_path):
    """The race's third round is taken out of a copy of the store (as if interrupted during it):
    --resume measures numpyro's and blackjax's third runs, not pystan's, which left after round 2."""
    db, _, _, _ = race_sweep
    copy = tmp_path / "store.sqlite"
    shutil.copy(db, copy)
    with sqlite3.connect(copy) as con:
        con.execute("DELETE FROM runs WHERE run = 3")
        con.execute("UPDATE sweeps SET finished_at = NULL")
    assert timed_runs(copy) == {"pystan": [1, 2], "numpyro": [1, 2], "blackjax": [1, 2]}
    dry = run([*COMPARE, "--db", str(copy), "--resume", "--dry-run"])
    assert re.search(r"the first 2 rounds \(every backend\) about \d+\.\d min", dry.stdout), dry.stdout
    assert timed_runs(copy) == {"pystan": [1, 2], "numpyro": [1, 2], "blackjax": [1, 2]}  # a dry run measures nothing
    # The stored budget (0.01 min) would cut it again: a resume gives the race a new one.
    proc = run([*COMPARE, "--db", str(copy), "--out", str(tmp_path / "out"), "--resume", "--budget", "60"])
    assert "resuming the race: 2 measurements owed in this round" in proc.stdout, proc.stdout
    assert timed_runs(copy) == {"pystan": [1, 2], "numpyro": [1, 2, 3], "blackjax": [1, 2, 3]}
    with ResultStore(copy, create=False) as store:
        assert store.sweeps()[0].complete


def test_max_runs_and_budget_need_adaptive_runs():
    proc = run([*COMPARE, "--runs", "5", "--max-runs", "8"], expect=2)
    assert "--max-runs: only with adaptive runs" in proc.stderr
    proc = run([*COMPARE, "--max-runs", "1"], expect=2)
    assert "must be at least 2" in proc.stderr
    proc = run([*COMPARE, "--runs", "often"], expect=2)
    assert "expected 'auto' or a whole number > 0" in proc.stderr
