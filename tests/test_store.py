"""The results store, interrupted sweeps and --resume, and reports rebuilt from the store.

Real tiny sweeps through the real command line (numpyro is the quickest backend to start;
cmdstan is skipped, which exercises skipped records too: these sweeps point $CMDSTAN at an empty
folder, so it is skipped whether or not a CmdStan is installed on the machine).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from samplerbench.store.database import SCHEMA_VERSION, ResultStore

REPO = Path(__file__).resolve().parent.parent
COMPARE = [sys.executable, str(REPO / "scripts" / "compare.py")]
REPORT = [sys.executable, str(REPO / "scripts" / "report.py")]
FIXTURES = Path(__file__).parent / "fixtures"
# Two sizes, two runs, gradient floor on: 2 floors + 4 numpyro runs + 4 skipped cmdstan records.
SWEEP_ARGS = ["--samplers", "numpyro", "cmdstan", "--n", "40", "80", "--runs", "2", "--chains", "2",
              "--tune", "100", "--draws", "100", "--cache", "cold"]
PLANNED = 2 * (1 + 2 + 2)
# cmdstan is skipped in these sweeps whatever is installed: $CMDSTAN names a folder with no CmdStan.
NO_CMDSTAN = Path(__file__).parent / "fixtures" / "no-cmdstan-here"
SWEEP_ENV = {**os.environ, "CMDSTAN": str(NO_CMDSTAN)}

pytestmark = pytest.mark.xdist_group("store")  # one worker: the sweeps below share the cores


def run(cmd, **kwargs):
    kwargs.setdefault("env", SWEEP_ENV)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def keys(records):
    return [(r.get("kind", "run"), r["model"], r["n"], r["sampler"], r["run"]) for r in records if not r.get("priming")]


def structure(markdown: str) -> list[str]:
    """Headings, table headers and image embeds of a report, with the sweep's own names removed."""
    kept = []
    for line in markdown.splitlines():
        if line.startswith("#"):
            kept.append(line)
        elif line.startswith("| backend") or line.startswith("|     n"):
            # Column names only: the padding follows the widest cell, which differs between sweeps.
            kept.append("|".join(cell.strip() for cell in line.split("|")))
        elif line.startswith("!["):
            kept.append(line.split("](")[0] + "](...)")
    return kept


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory):
    """One uninterrupted tiny sweep over two sizes."""
    root = tmp_path_factory.mktemp("finished")
    db, out = root / "store.sqlite", root / "reports"
    proc = run([*COMPARE, *SWEEP_ARGS, "--db", str(db), "--out", str(out), "--name", "whole"])
    return db, out, proc


def test_every_run_and_the_environment_are_in_the_store(finished_sweep):
    db, out, _ = finished_sweep
    with ResultStore(db, create=False) as store:
        [sweep] = store.sweeps()
        assert sweep.complete and sweep.planned == PLANNED and sweep.measured == PLANNED
        records = store.records(sweep.sweep_id)
        header = store.header(sweep.sweep_id)
    assert sorted(keys(records)) == sorted(set(keys(records))) and len(records) == PLANNED
    env = header["environment"]
    for field in ("python", "cpu", "cores", "memory_gib", "os"):
        assert env[field], field
    assert env["git"]["commit"] and env["git"]["dirty"] in (True, False)
    assert env["libraries"]["numpyro"] and env["libraries"]["pymc"]
    assert header["config"]["ns"] == [40, 80] and header["config"]["samplers"] == ["numpyro", "cmdstan"]
    assert header["started_at"] and header["sessions"][0]["finished_at"]
    # The typed SQL columns say the same as the full record kept beside them.
    db_rows = sqlite3.connect(db).execute(
        "SELECT sampler, status, sampling_s, ess_bulk_min, record FROM runs ORDER BY id").fetchall()
    assert {r[1] for r in db_rows if r[0] == "cmdstan"} == {"skipped"}
    for sampler, status, sampling_s, ess, record in db_rows:
        record = json.loads(record)
        assert (sampler, status, sampling_s, ess) == (record["sampler"], record["status"],
                                                      record.get("sampling_s"), record.get("ess_bulk_min"))
    assert sum(1 for r in records if r["sampler"] == "numpyro" and r["status"] == "ok") == 4


def test_a_multi_n_sweep_writes_the_report_with_both_plots(finished_sweep):
    _, out, _ = finished_sweep
    markdown = (out / "whole.md").read_text()
    for plot in ("whole-linear_regression-cold-times.png", "whole-linear_regression-cold-scaling.png"):
        assert (out / plot).stat().st_size > 10_000, plot  # a real picture, not an empty figure
        assert f"]({plot})" in markdown
    assert "how each backend grows with n" in markdown and "grows like n^k" in markdown
    assert "## linear_regression, n = 40, cache `cold`" in markdown
    assert "## linear_regression, n = 80, cache `cold`" in markdown
    assert "**cmdstan** (skipped)" in markdown  # notes on what was not measured
    table = pd.read_csv(out / "whole.csv")
    assert set(zip(table["n"], table["sampler"])) == {(n, s) for n in (40, 80) for s in ("numpyro", "cmdstan")}
    assert len((out / "whole.runs.jsonl").read_text().splitlines()) == PLANNED


def test_the_report_is_rebuilt_from_the_store_without_running_anything(finished_sweep, tmp_path):
    db, out, _ = finished_sweep
    listing = run([*REPORT, "--db", str(db), "--list"]).stdout
    assert "whole" in listing and "complete" in listing
    run([*REPORT, "--db", str(db), "--out", str(tmp_path), "whole"])
    assert (tmp_path / "whole.md").read_text() == (out / "whole.md").read_text()
    assert (tmp_path / "whole.csv").read_text() == (out / "whole.csv").read_text()
    assert (tmp_path / "whole-linear_regression-cold-scaling.png").exists()
    with ResultStore(db, create=False) as store:
        assert store.sweeps()[0].measured == PLANNED  # nothing was added


def test_two_sweeps_compare_as_ratios(finished_sweep, tmp_path):
    db, out, _ = finished_sweep
    proc = run([*REPORT, "--db", str(db), "--out", str(tmp_path), "--compare", "whole",
                str(out / "whole.runs.jsonl"), "--name", "same"])
    assert "(**1.00×**)" in proc.stdout
    table = pd.read_csv(tmp_path / "same.csv")
    ok = table[table["status_a"] == "ok"]
    assert len(ok) == 2 and (ok["sampling_s_ratio"] == 1.0).all()


def test_a_changed_library_default_and_an_edited_model_are_named_in_a_comparison(finished_sweep, tmp_path):
    """Records carry each library call's defaults and the model's file hash: a comparison with a
    sweep whose library had another default (a new release) and whose model was edited says so."""
    _, out, _ = finished_sweep
    records = [json.loads(line) for line in (out / "whole.runs.jsonl").read_text().splitlines()]
    runs = [r for r in records if r.get("kind") == "run" and r["status"] == "ok"]
    # dense_mass is not passed by samplerbench: its default is recorded (max_tree_depth is passed: it is not).
    assert runs and all(r["library_defaults"]["numpyro.infer.NUTS"]["dense_mass"] is False for r in runs)
    assert all("max_tree_depth" not in r["library_defaults"]["numpyro.infer.NUTS"] for r in runs)
    assert all(len(r["model_sha256"]) == 64 for r in runs)
    for r in runs:  # what a later release and an edited model would have recorded
        r["library_defaults"]["numpyro.infer.NUTS"]["dense_mass"] = True
        r["model_sha256"] = "f" * 64
    (tmp_path / "later.runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    proc = run([*REPORT, "--out", str(tmp_path), "--compare", str(out / "whole.runs.jsonl"),
                str(tmp_path / "later.runs.jsonl"), "--name", "later"])
    text = (tmp_path / "later.md").read_text()
    assert "numpyro: numpyro.infer.NUTS default dense_mass False -> True" in text, text[:2000]
    assert "model linear_regression's files differ" in text
    assert proc.returncode == 0


def _wait_for_runs(db: Path, count: int, proc: subprocess.Popen, limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the sweep ended before it could be interrupted"
        if db.exists():
            try:
                done = sqlite3.connect(db, timeout=5).execute(
                    "SELECT COUNT(*) FROM runs WHERE kind='run' AND status='ok'").fetchone()[0]
            except sqlite3.OperationalError:  # tables not created yet
                done = 0
            if done >= count:
                return
        time.sleep(0.2)
    raise AssertionError("no run finished in time")


def _children(pid: int) -> list[int]:
    """Child processes of ``pid`` (Linux /proc), waiting briefly for one to exist."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            found = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []
        if found:
            return found
        time.sleep(0.05)
    return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.slow
def test_a_killed_sweep_resumes_without_repeating_finished_runs(finished_sweep, tmp_path):
    db, out = tmp_path / "store.sqlite", tmp_path / "reports"
    proc = subprocess.Popen([*COMPARE, *SWEEP_ARGS, "--db", str(db), "--out", str(out), "--name", "broken"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=SWEEP_ENV)
    _wait_for_runs(db, 2, proc)
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)  # a crash: no clean-up code runs
    proc.communicate(timeout=60)
    assert workers, "no worker was running when the sweep was killed"
    deadline = time.monotonic() + 1.5  # a run takes longer: an orphaned worker would still be busy
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "the worker outlived its orchestrator"
    with ResultStore(db) as store:
        sweep = store.sweeps()[0]
        assert not sweep.complete and 0 < sweep.measured < PLANNED
        before = {tuple(k): r for k, r in zip(keys(store.records(sweep.sweep_id)), store.records(sweep.sweep_id))}

    resumed = run([*COMPARE, "--db", str(db), "--out", str(out), "--resume"])
    assert f"resuming: {len(before)} already measured, {PLANNED - len(before)} to go" in resumed.stdout
    with ResultStore(db) as store:
        sweep = store.sweeps()[0]
        records = store.records(sweep.sweep_id)
    assert sweep.complete and sweep.sessions == 2
    assert len(records) == PLANNED and len(set(keys(records))) == PLANNED  # nothing twice, nothing missing
    after = dict(zip(keys(records), records))
    for key, record in before.items():
        assert after[key] == record  # finished runs were kept, not re-run
    # Same report structure as the uninterrupted sweep's.
    whole_db, whole_out, _ = finished_sweep
    assert structure((out / "broken.md").read_text()) == structure((whole_out / "whole.md").read_text())
    assert "Resumed:" in (out / "broken.md").read_text()
    assert list(pd.read_csv(out / "broken.csv").columns) == list(pd.read_csv(whole_out / "whole.csv").columns)
    # Nothing left to do: a second --resume says so.
    assert "nothing to resume" in run([*COMPARE, "--db", str(db), "--resume"]).stdout


# Planned runs to spare: the sweep is stopped after its first, so more cost nothing.
STOPPED_RUNS = 8


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_keeps_finished_runs_and_says_how_to_resume(stop, tmp_path):
    db, out = tmp_path / "store.sqlite", tmp_path / "reports"
    command = [*COMPARE, "--samplers", "numpyro", "--n", "40", "--runs", str(STOPPED_RUNS), "--chains", "2",
               "--cache", "cold", "--tune", "100", "--draws", "100", "--no-gradient-floor", "--db", str(db),
               "--out", str(out), "--name", "stopped"]
    # Started as `cmd &` starts it (nohup, a shell script's background job): with SIGINT
    # ignored, which Python inherits. The sweep must still stop on Ctrl-C's signal.
    proc = subprocess.Popen(["sh", "-c", "trap '' INT; exec \"$@\"", "sh", *command],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_for_runs(db, 1, proc)
    # While it runs, nothing else may measure into the same store (it would repeat its runs).
    second = subprocess.run([*COMPARE, "--db", str(db), "--resume"], capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and "another samplerbench sweep is running" in second.stderr, second.stderr
    proc.send_signal(stop)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output
    assert f"--db {db} --resume" in output
    with ResultStore(db) as store:
        sweep = store.sweeps()[0]
    assert not sweep.complete and 1 <= sweep.measured < STOPPED_RUNS
    report = (out / "stopped.md").read_text()
    assert "INCOMPLETE" in report and f"of {STOPPED_RUNS} planned" in report


def test_resume_refuses_settings_that_differ_from_the_stored_sweep(finished_sweep, tmp_path):
    db = tmp_path / "store.sqlite"
    shutil.copy(finished_sweep[0], db)
    proc = subprocess.run([*COMPARE, "--db", str(db), "--resume", "whole", "--n", "50"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "--n [50] (stored: [40, 80])" in proc.stderr


def test_a_store_written_by_an_earlier_commit_still_loads(tmp_path):
    """tests/fixtures/store-v1.sqlite was written by commit recorded in it (schema 1)."""
    db = tmp_path / "old.sqlite"
    shutil.copy(FIXTURES / "store-v1.sqlite", db)
    listing = run([*REPORT, "--db", str(db), "--list"]).stdout
    assert "fixture" in listing
    run([*REPORT, "--db", str(db), "--out", str(tmp_path), "fixture"])
    markdown = (tmp_path / "fixture.md").read_text()
    assert "## linear_regression, n = 40, cache `cold`" in markdown
    assert "numpyro" in markdown and "ok (1/1)" in markdown
    with ResultStore(db) as store:
        assert store.schema_version() == SCHEMA_VERSION  # migrated forward on opening
        sweep = store.sweep("fixture")
        assert sweep.environment["git"]["commit"]
        assert [r["status"] for r in store.records(sweep.sweep_id) if r["sampler"] == "numpyro"] == ["ok"]


def test_a_store_from_a_newer_samplerbench_is_read_but_not_written(tmp_path):
    db = tmp_path / "newer.sqlite"
    shutil.copy(FIXTURES / "store-v1.sqlite", db)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    run([*REPORT, "--db", str(db), "--out", str(tmp_path), "fixture"])
    assert (tmp_path / "fixture.md").exists()
    proc = subprocess.run([*COMPARE, "--samplers", "numpyro", "--db", str(db)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "newer samplerbench" in proc.stderr


def test_a_file_that_is_not_a_store_is_refused_clearly(tmp_path):
    bogus = tmp_path / "notes.sqlite"
    bogus.write_text("not a database")
    for cmd in ([*REPORT, "--db", str(bogus)], [*COMPARE, "--samplers", "numpyro", "--db", str(bogus)]):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and "not a samplerbench results store" in proc.stderr, proc.stderr
    proc = subprocess.run([*REPORT, "--db", str(tmp_path / "missing.sqlite")], capture_output=True, text=True)
    assert proc.returncode == 2 and "no results store" in proc.stderr
    assert not (tmp_path / "missing.sqlite").exists()


def test_the_default_store_lives_under_results(tmp_path):
    """No --db: results/samplerbench.sqlite relative to where the command runs."""
    proc = subprocess.run([*COMPARE, "--samplers", "cmdstan", "--n", "40", "--runs", "1", "--no-gradient-floor",
                           "--out", str(tmp_path / "reports")], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=SWEEP_ENV)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "results" / "samplerbench.sqlite").exists()


def test_a_sweep_stopped_before_its_first_record_still_reports(tmp_path):
    from samplerbench import environment
    from samplerbench.sweep.config import SweepConfig
    from samplerbench.sweep.orchestrator import plan, sweep_header

    cfg = SweepConfig(models=["linear_regression"], samplers=["numpyro"], ns=[40], runs=2, cache="cold")
    header = sweep_header(cfg, environment.collect())
    with ResultStore(tmp_path / "store.sqlite") as store:
        store.create_sweep(header, "empty", len(plan(cfg)))
    run([*REPORT, "--db", str(tmp_path / "store.sqlite"), "--out", str(tmp_path)])
    markdown = (tmp_path / "empty.md").read_text()
    assert "INCOMPLETE** — 0 of 3 planned" in markdown and "No run has been recorded" in markdown
    shutil.copy(FIXTURES / "store-v1.sqlite", tmp_path / "other.sqlite")  # opening may migrate: a copy
    proc = run([*REPORT, "--db", str(tmp_path / "store.sqlite"), "--out", str(tmp_path), "--compare", "empty",
                str(tmp_path / "other.sqlite")])
    assert "No (model, n, backend) was measured in both sweeps" in proc.stdout


def test_records_written_by_the_first_version_still_report_and_compare(tmp_path):
    """tests/fixtures/records-7835fd9.*: JSON-lines records from commit 7835fd9 (before the store)."""
    records = FIXTURES / "records-7835fd9.runs.jsonl"
    run([*REPORT, str(records), "--out", str(tmp_path), "--db", str(tmp_path / "unused.sqlite")])
    markdown = (tmp_path / "records-7835fd9.md").read_text()
    assert "## linear_regression, n = 2000, cache `cold`" in markdown
    assert re.search(r"\| numpyro +\| ok \(2/2\)", markdown) and "Gradient floor: 3.56 µs" in markdown
    assert "samplerbench commit:** 9480065dcdf6" in markdown  # its environment came along
    shutil.copy(FIXTURES / "store-v1.sqlite", tmp_path / "v1.sqlite")
    proc = run([*REPORT, "--out", str(tmp_path), "--compare", str(records), str(tmp_path / "v1.sqlite"),
                "--name", "old-vs-v1"])
    assert "n = 2000" not in proc.stdout  # different sizes: nothing shared, said plainly
    assert "No (model, n, backend) was measured in both sweeps" in proc.stdout
    assert not (tmp_path / "unused.sqlite").exists()  # reading never creates a store
