"""The answer, with confidence: time to a target ESS, the verdict and its uncertainty, cold and
warm in one sweep, peak memory. Real backends, tiny settings."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import tiny_run
from samplerbench.sweep.config import SweepConfig
from samplerbench.sweep.orchestrator import plan
from samplerbench.store.records import load_records, records_frame
from samplerbench.analysis.statistics import summarize
from samplerbench.store.database import ResultStore
from samplerbench.fields import TIMING_FIELDS
from samplerbench.time_to_ess import time_to_ess_column
from samplerbench.analysis.uncertainty import compare_runs
from samplerbench.analysis.verdict import fastest_draws, fastest_to_ess

REPO = Path(__file__).resolve().parent.parent
COMPARE = [sys.executable, str(REPO / "scripts" / "compare.py")]
REPORT = [sys.executable, str(REPO / "scripts" / "report.py")]
FIXTURES = Path(__file__).parent / "fixtures"
TINY_SWEEP = ["--n", "60", "--chains", "2", "--tune", "150", "--draws", "150", "--no-gradient-floor"]

# The tests that share the module's `--cache both` sweep run on one worker (one sweep); the
# others spread over both workers (their comparisons interleave, so shared load falls evenly).
SHARES_BOTH_SWEEP = pytest.mark.xdist_group("answer-both-sweep")


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.mark.parametrize("sampler", ["numpyro", "pymc"])
def test_time_to_ess_follows_its_definition_from_the_records_own_fields(sampler, tiny_record):
    record = tiny_record(sampler)
    assert record["status"] == "ok", record.get("reason")
    # The split: in proportion to the gradients the library itself reported per phase.
    assert record["phase_split"] == "gradients"
    share = record["grad_evals_warmup"] / (record["grad_evals_warmup"] + record["grad_evals"])
    assert record["warmup_s"] == pytest.approx(record["sampling_s"] * share)
    assert record["warmup_s"] + record["draws_s"] == pytest.approx(record["sampling_s"])
    # Written out here from the definition, not through samplerbench's functions.
    rest = record["end_to_end_s"] - record["compile_s"] - record["sampling_s"]
    fixed = record["import_s"] + record["compile_s"] + record["warmup_s"] + rest
    rate = record["ess_bulk_min"] / record["draws_s"]
    row = records_frame([record], ess_targets=(400, 1000, 10000)).iloc[0]
    for target in (400, 1000, 10000):
        assert row[time_to_ess_column(target)] == pytest.approx(fixed + target / rate, rel=1e-9)
    # Reaching the ESS this run reached takes its whole end-to-end plus its import, to rounding.
    assert fixed + record["ess_bulk_min"] / rate == pytest.approx(
        record["import_s"] + record["end_to_end_s"], rel=1e-9)


def test_records_from_before_the_fields_show_them_missing_not_zero(tmp_path):
    """The first version's JSON-lines records have no warmup gradients, split or memory."""
    records = load_records(FIXTURES / "records-7835fd9.runs.jsonl")
    summary = summarize(records)
    ok = summary.frame[summary.frame["status"] == "ok"]
    assert len(ok) and ok[time_to_ess_column(1000)].isna().all() and ok["peak_pss_mib"].isna().all()
    row = summary.table.set_index("sampler").loc["numpyro"]
    assert math.isnan(row[f"{time_to_ess_column(1000)}_median"]) and math.isnan(row["peak_pss_mib_median"])
    run([*REPORT, str(FIXTURES / "records-7835fd9.runs.jsonl"), "--out", str(tmp_path),
         "--name", "old"])
    text = (tmp_path / "old.md").read_text()
    section = text[text.index("Time to a target ESS"):]
    rows = section[:section.index("\n\n", section.index("| backend"))].splitlines()
    header = [c.strip() for c in rows[2].split("|")]
    numpyro = dict(zip(header, (c.strip() for c in next(r for r in rows if r.startswith("| numpyro")).split("|"))))
    for target in ("400", "1,000", "10,000"):
        assert numpyro[f"to {target} ESS s (median [min–max])"] == "–"
    assert numpyro["fixed s (import + compile + warmup + rest)"] == "–"


def test_peak_memory_covers_the_whole_process_tree_and_grows_with_n(tiny_record):
    """Also: a worker's peak is its own, not its orchestrator's. Linux carries the parent's
    memory high-water mark through fork and exec into the child's ``ru_maxrss``: a small worker
    started by a large orchestrator (a test process that imported JAX, a report built before a
    resumed sweep) must not be charged the orchestrator's memory. So the small run starts from
    this process holding 2 GiB (it reported 2 175 MiB while the largest process came from
    ``wait4``; CI had seen n = 100 and n = 100 000 both at 815 MiB, this process's own peak)."""
    ballast = b"\x01" * (2048 * 2**20)  # 2 GiB, every page resident
    small = tiny_run("numpyro", n=100)
    del ballast
    large = tiny_run("numpyro", n=100_000)
    assert small["status"] == large["status"] == "ok"
    # A tiny numpyro run peaks near 0.5 GiB (0.8 GiB on the slowest CI machine seen).
    assert small["peak_rss_largest_process_mib"] < 1500, small["peak_rss_largest_process_mib"]
    assert small["peak_pss_mib"] < 1500, small["peak_pss_mib"]
    assert large["peak_pss_mib"] > small["peak_pss_mib"] + 20, (small["peak_pss_mib"], large["peak_pss_mib"])
    for record in (small, large):
        # One process: its PSS peak cannot exceed the kernel's high-water mark of it (RSS), and
        # stays near it; below by the library pages it shares with processes outside the tree
        # (here the other test worker maps the same jaxlib: 0.69x was seen on a fresh clone).
        assert 0.4 * record["peak_rss_largest_process_mib"] <= record["peak_pss_mib"], record
        assert record["peak_pss_mib"] <= 1.02 * record["peak_rss_largest_process_mib"], record
        assert record["peak_pss_processes_by_rss"] == 0
    # PyMC samples its chains in child processes: the watch sees them (worker + 2 chains).
    # (Its PSS sum reads below the worker's own RSS high-water mark: the chain processes and the
    # worker share library pages, which RSS counts in full in each; see test_as_users_call_it.)
    pymc = tiny_record("pymc")
    assert pymc["status"] == "ok"
    assert pymc["tree_processes_max"] >= 3, pymc["tree_processes_max"]
    assert pymc["peak_pss_mib"] > 0.5 * pymc["peak_rss_largest_process_mib"], pymc


@pytest.fixture(scope="module")
def both_sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("both")
    db, out = root / "store.sqlite", root / "reports"
    proc = run([*COMPARE, *TINY_SWEEP, "--samplers", "numpyro", "--runs", "2", "--cache", "both",
                "--db", str(db), "--out", str(out), "--name", "both"])
    return db, out, proc


@SHARES_BOTH_SWEEP
def test_cache_both_measures_cold_and_warm_in_one_sweep(both_sweep):
    db, out, proc = both_sweep
    with ResultStore(db, create=False) as store:
        [sweep] = store.sweeps()
        records = store.records(sweep.sweep_id)
        cfg = SweepConfig(**{k: v for k, v in sweep.config.items() if k in SweepConfig.__dataclass_fields__})
        assert sweep.complete and store.done_keys(sweep.sweep_id) == {task.key for task in plan(cfg)}
    timed = [r for r in records if not r.get("priming")]
    assert sorted((r["cache"], r["run"]) for r in timed) == [("cold", 1), ("cold", 2), ("warm", 1), ("warm", 2)]
    assert [r["cache"] for r in records if r.get("priming")] == ["warm"]  # primed once
    # Warm runs reuse compiled programs: they compile faster than the cold ones, as measured.
    compile_s = {c: max(r["compile_s"] for r in timed if r["cache"] == c) for c in ("cold", "warm")}
    assert compile_s["warm"] < compile_s["cold"]
    text = (out / "both.md").read_text()
    assert "## linear_regression, n = 60, cache `cold`" in text and "## linear_regression, n = 60, cache `warm`" in text
    assert "## linear_regression, n = 60: the answer" in text
    plot = out / "both-linear_regression-n60-break-even.png"
    assert plot.stat().st_size > 10_000 and f"]({plot.name})" in text
    # The terminal ends with the verdict, both cache modes.
    tail = proc.stdout[proc.stdout.index("verdict, linear_regression, n = 60"):]
    assert "From a cold start" in tail and "On a re-run" in tail
    table = pd.read_csv(out / "both.csv")
    assert {"time_to_ess_1000_s_median", "peak_pss_mib_median", "warmup_s_median"} <= set(table.columns)
    assert set(table["cache"]) == {"cold", "warm"}


@SHARES_BOTH_SWEEP
def test_a_stored_sweep_is_reported_for_other_targets_without_measuring(both_sweep, tmp_path):
    db, _, _ = both_sweep
    proc = run([*REPORT, "--db", str(db), "--out", str(tmp_path), "--name", "other", "--ess-targets", "200", "3000"])
    assert "to 200 ESS s" in proc.stdout and "to 3,000 ESS s" in proc.stdout and "to 1,000 ESS s" not in proc.stdout
    assert "time_to_ess_3000_s_median" in pd.read_csv(tmp_path / "other.csv").columns
    with ResultStore(db, create=False) as store:
        assert store.sweeps()[0].measured == 4  # 2 cold + 2 warm timed runs: nothing was added
    bad = subprocess.run([*REPORT, "--db", str(db), "--ess-targets", "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--ess-targets" in bad.stderr


# The numpyro/nutpie sweep below serves two tests: both run on one worker, so it is swept once.
SHARES_PAIR_SWEEP = pytest.mark.xdist_group("answer-pair-sweep")


@pytest.fixture(scope="module")
def pair_sweep(tmp_path_factory):
    """numpyro and nutpie, 4 cold runs each: nutpie's numba build takes about twice NumPyro's XLA
    compile here, a difference 4 runs can show. Enough draws for the chains to converge (R-hat ≤
    1.01): only converged backends can win."""
    root = tmp_path_factory.mktemp("pair")
    proc = run([*COMPARE, "--n", "60", "--chains", "4", "--tune", "500", "--draws", "1000", "--no-gradient-floor",
                "--samplers", "numpyro", "nutpie", "--runs", "4", "--cache", "cold",
                "--db", str(root / "store.sqlite"), "--out", str(root), "--name", "pair"])
    return root, proc


@SHARES_PAIR_SWEEP
def test_a_comparison_of_two_sweeps_finds_a_real_difference_and_only_a_real_one(pair_sweep):
    """`report.py --compare` on real records: numpyro's runs against themselves are
    *indistinguishable at 4 runs* (ratio 1); against the same runs with every timing doubled
    (what a 2× slower release would record) they are *a real difference*, ratio 2, inside the
    interval. (Two real sweeps of one backend at 3 runs could not fail: Mann–Whitney cannot reach
    p < 0.05 below 4 runs per side. The false-winner rate of the rule is issue 27's simulated test.)"""
    root, _ = pair_sweep
    records = [json.loads(line) for line in (root / "pair.runs.jsonl").read_text().splitlines()]
    numpyro = [r for r in records if r["sampler"] == "numpyro"]
    slower = [{**r, **{f: 2 * r[f] for f in (*TIMING_FIELDS, "warmup_s", "draws_s") if r.get(f) is not None}}
              for r in numpyro]
    for name, rows in (("same", numpyro), ("slower", slower)):
        (root / f"{name}.runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for name in ("same", "slower"):
        run([*REPORT, "--db", str(root / "unused.sqlite"), "--out", str(root), "--compare",
             str(root / "same.runs.jsonl"), str(root / f"{name}.runs.jsonl"), "--name", f"vs-{name}"])
    same = pd.read_csv(root / "vs-same.csv").set_index("sampler").loc["numpyro"]
    doubled = pd.read_csv(root / "vs-slower.csv").set_index("sampler").loc["numpyro"]
    for metric in ("end_to_end_s", time_to_ess_column(1000)):
        assert same[f"{metric}_verdict"].startswith("indistinguishable at 4 runs"), same[f"{metric}_verdict"]
        assert same[f"{metric}_ratio"] == pytest.approx(1.0)
        assert doubled[f"{metric}_verdict"].startswith("a real difference"), doubled[f"{metric}_verdict"]
        assert doubled[f"{metric}_ratio"] == pytest.approx(2.0, rel=0.01)
        assert doubled[f"{metric}_ci_low"] <= doubled[f"{metric}_ratio"] <= doubled[f"{metric}_ci_high"]
        assert doubled[f"{metric}_ci_low"] > 1
    assert "indistinguishable at 4 runs" in (root / "vs-same.md").read_text()


@SHARES_PAIR_SWEEP
def test_the_verdict_names_a_real_difference_and_only_a_real_one(pair_sweep):
    """At 4 cold runs each the verdict must call nutpie-against-numpyro a real difference when
    the runs are fully separated; the winner is the faster one."""
    root, proc = pair_sweep
    records = [json.loads(line) for line in (root / "pair.runs.jsonl").read_text().splitlines()]
    frame = records_frame(records)
    values = {s: frame.loc[frame["sampler"] == s, time_to_ess_column(1000)].tolist() for s in ("numpyro", "nutpie")}
    faster, slower = sorted(values, key=lambda s: pd.Series(values[s]).median())
    test = compare_runs(values[faster], values[slower])
    verdict = proc.stdout[proc.stdout.index("verdict, linear_regression"):]
    first = next(line for line in verdict.splitlines() if line.startswith("- From a cold start"))
    if max(values[faster]) < min(values[slower]):  # fully separated, as they are on this machine
        assert test.differ and "a real difference at 4 runs" in first, first
    assert f"{faster} reaches 1,000 bulk ESS first" in first, first
    assert f"next is {slower}" in first


def test_compare_runs_on_known_numbers():
    """The statistic itself (numbers in, no sampler): separated sets differ, overlapping ones do
    not, and one run each cannot be tested."""
    apart = compare_runs([1.0, 1.1, 0.9, 1.05, 0.97], [2.0, 2.1, 1.9, 2.2, 2.05])
    assert apart.differ and 1.8 < apart.low < apart.ratio < apart.high < 2.4 and apart.p_value < 0.01
    overlap = compare_runs([1.0, 1.1, 0.9, 1.05, 0.97], [1.02, 1.08, 0.95, 1.0, 1.01])
    assert not overlap.differ and overlap.low < 1 < overlap.high
    single = compare_runs([1.0], [2.0])
    assert not single.differ and math.isnan(single.low) and "at least 4 runs" in single.verdict_text()
    # Three runs each, fully separated: the bootstrap alone would say "different"; Mann-Whitney
    # cannot reach p < 0.05 with three runs, so the verdict waits for more runs.
    three = compare_runs([1.0, 1.01, 1.02], [1.5, 1.51, 1.52])
    assert three.low > 1 and not three.differ and three.runs_needed and three.runs_needed >= 4


def test_a_backend_with_divergent_transitions_cannot_win():
    """The centred eight schools is a funnel: NumPyro's NUTS diverges on it at any setting. A run
    with divergent transitions explored only part of the posterior, so however fast it was the
    verdict must not name it (before, it could win when its R-hat happened to be ≤ 1.01)."""
    record = tiny_run("numpyro", model="eight_schools_centered", tune=300, draws=500)
    assert record["status"] == "ok", record.get("reason")
    assert record["divergences"] > 0, "the funnel gave no divergence: the test shows nothing"
    summary = summarize([record])
    assert summary.table.at[0, "divergent_runs"] == 1
    for sentence in (fastest_to_ess(summary, "eight_schools_centered", record["n"], "cold"),
                     fastest_draws(summary, "eight_schools_centered", record["n"])):
        assert "no backend qualifies" in sentence and "divergent transitions in 1/1 runs" in sentence, sentence


def test_a_break_even_line_with_no_measured_point_in_range_draws_only_its_extrapolation():
    """A backend whose runs all reached less ESS than the plot's first point (100) has no measured
    segment to draw: the figure must not carry an empty trace (plotly draws no group for it, and
    the page test's count of figure traces against drawn traces failed on CI's tiny runs)."""
    import numpy as np

    from samplerbench.views.interactive import break_even_figure

    ess = np.geomspace(100, 100_000, 20)
    line = (1 + ess / 1000, 1 + ess / 2000, 1 + ess / 500)
    lines = {("numpyro", "cold"): line, ("nutpie", "cold"): line}
    fig = break_even_figure(lines, ess, "t", ["numpyro", "nutpie"], {("numpyro", "cold"): 60, ("nutpie", "cold"): 5_000})
    assert all(len(trace.x) > 0 for trace in fig.data), [(t.name, len(t.x)) for t in fig.data]
    shown = {trace.legendgroup for trace in fig.data if trace.showlegend is not False}
    assert shown == {"numpyro", "nutpie"}  # each backend keeps one legend entry
