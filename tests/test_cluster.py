"""Sweeps on a real Dask cluster (`--cluster`): a LocalCluster of two single-threaded worker
processes, and a scheduler with a worker of another environment. Real backends, tiny settings."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from samplerbench.run_record import run_key
from samplerbench.store.database import ResultStore
from tests.conftest import OLD_NUMPYRO, make_old_numpyro_python

REPO = Path(__file__).resolve().parent.parent
COMPARE = [sys.executable, str(REPO / "scripts" / "compare.py")]
# Two models x two n = four cells; per cell one cold run, one priming run and one warm run.
SWEEP = ["--models", "linear_regression", "logistic_regression", "--n", "40", "80", "--samplers", "numpyro",
         "--runs", "1", "--chains", "2", "--tune", "100", "--draws", "100", "--cache", "both",
         "--no-gradient-floor"]
PLANNED = 2 * 2 * 2  # timed runs (priming runs are extra, and not planned measurements)
CELLS = {(m, n) for m in ("linear_regression", "logistic_regression") for n in (40, 80)}

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cluster")]


def run(cmd, expect=0, timeout=900):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    assert proc.returncode == expect, proc.stdout + proc.stderr
    return proc


def stored(db: Path) -> tuple:
    with ResultStore(db, create=False) as store:
        sweeps = store.sweeps()
        assert len(sweeps) == 1
        return sweeps[0], store.records(sweeps[0].sweep_id)


def assert_each_planned_run_once_and_cells_on_one_worker(records: list[dict], sessions=None) -> None:
    """``sessions``: the records split by session (a resumed cell runs on a worker of the new
    cluster, which must be the same kind of machine)."""
    timed = [r for r in records if not r.get("priming")]
    assert len(timed) == PLANNED and len({run_key(r) for r in timed}) == PLANNED, [run_key(r) for r in timed]
    assert all(r["status"] == "ok" for r in records), [r.get("reason") for r in records]
    assert {(r["model"], r["n"]) for r in timed} == CELLS
    for cell in CELLS:
        mine = [r for r in records if (r["model"], r["n"]) == cell]
        assert len({repr(r["machine"]) for r in mine}) == 1 and mine[0]["host"]
        for session in sessions or [records]:
            workers = {r["dask_worker"] for r in session if (r["model"], r["n"]) == cell}
            assert len(workers) <= 1, (cell, workers)


def _wait_for_runs(db: Path, count: int, proc, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        if db.exists():
            try:
                with ResultStore(db, create=False) as store:
                    sweeps = store.sweeps()
                    if sweeps and len([r for r in store.records(sweeps[0].sweep_id) if not r.get("priming")]) >= count:
                        return
            except Exception:  # noqa: BLE001 - the store is being created
                pass
        time.sleep(0.5)
    raise AssertionError(f"fewer than {count} runs after {timeout_s} s")


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _measuring_processes(ancestor: int | None = None) -> set[int]:
    """PIDs of samplerbench worker processes (what measures a run) that descend from
    ``ancestor`` (the other test worker's runs do not), or that are alive at all."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"samplerbench.measure.worker" not in (entry / "cmdline").read_bytes():
                    continue
            except OSError:
                continue
            pid = int(entry.name)
            chain = pid
            while ancestor is not None and chain not in (0, 1, ancestor):
                chain = _parent(chain)
            if ancestor is None or chain == ancestor:
                found.add(pid)
    return found


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """One cluster sweep, killed (kill -9 of the client and its LocalCluster, no clean-up) after
    two runs, then finished with --resume on a new LocalCluster. One sweep serves every check:
    a whole second one would cost the suite another minute and a half."""
    root = tmp_path_factory.mktemp("cluster")
    db, out = root / "store.sqlite", root / "reports"
    proc = subprocess.Popen([*COMPARE, *SWEEP, "--cluster", "local:2", "--db", str(db), "--out", str(out),
                             "--name", "cluster"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=REPO, start_new_session=True)  # its own process group: killed as one
    _wait_for_runs(db, 2, proc)
    measuring = _measuring_processes(ancestor=proc.pid)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while measuring & _measuring_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    orphans = measuring & _measuring_processes()
    first_session = stored(db)
    resumed = run([*COMPARE, "--db", str(db), "--out", str(out), "--cluster", "local:2", "--resume"])
    return db, out, first_session, (measuring, orphans), resumed


def test_a_killed_client_resumes_on_the_cluster_without_repeating_finished_runs(killed_and_resumed):
    db, out, (sweep, first_session), (measuring, orphans), resumed = killed_and_resumed
    assert measuring, "no run was being measured when the client was killed"
    assert not orphans, "a run went on measuring after its client and cluster died"
    before = {run_key(r): r for r in first_session if not r.get("priming")}
    assert not sweep.complete and 2 <= len(before) < PLANNED
    assert f"resuming: {len(before)} already measured, {PLANNED - len(before)} to go" in resumed.stdout
    sweep, records = stored(db)
    assert sweep.complete
    assert records[:len(first_session)] == first_session
    after = {run_key(r): r for r in records if not r.get("priming")}
    for key, record in before.items():
        assert after[key] == record  # kept, not measured again


def test_a_cluster_sweep_measures_every_planned_run_once_each_cell_on_one_worker(killed_and_resumed):
    db, out, (_, first_session), _, resumed = killed_and_resumed
    _, records = stored(db)
    second_session = records[len(first_session):]
    assert_each_planned_run_once_and_cells_on_one_worker(records, [first_session, second_session])
    # Two single-threaded workers, one cell each at a time: after two runs, at least three cells
    # still had work, so both workers measured.
    assert "cluster: 2 workers" in resumed.stdout
    assert len({r["dask_worker"] for r in second_session}) == 2
    # Warm runs were primed on the worker that measured them, inside their cell.
    for cell in CELLS:
        for session in (first_session, second_session):
            warm = [r for r in session if (r["model"], r["n"]) == cell and r.get("cache") == "warm"]
            if any(not r.get("priming") for r in warm):
                assert warm[0].get("priming") and warm[0]["dask_worker"] == warm[-1]["dask_worker"]
    report = (out / "cluster.md").read_text()
    assert "## Where each cell ran" in report
    section = report[report.index("## Where each cell ran"):].split("\n## ")[0]
    assert section.count("| linear_regression") == 2 and section.count("| logistic_regression") == 2


def test_dry_run_estimates_from_the_store_and_measures_nothing(killed_and_resumed):
    db = killed_and_resumed[0]
    before = stored(db)[1]
    proc = run([*COMPARE, *SWEEP, "--cluster", "local:2", "--dry-run", "--db", str(db)])
    assert f"{PLANNED} measurements in 4 cells" in proc.stdout, proc.stdout  # priming runs are not counted
    line = next(l for l in proc.stdout.splitlines() if l.startswith("estimated wall time"))
    one, many = (float(x) for x in re.findall(r"([\d.]+) min", line))
    # Four cells of about equal cost on two workers: about half the time of one machine.
    assert one > 0 and many == pytest.approx(one / 2, rel=0.35), line
    assert "on 2 workers" in line and "no stored run" not in proc.stdout
    assert stored(db)[1] == before  # nothing measured, nothing written


def test_a_worker_with_another_library_version_is_refused(tmp_path):
    old_python = make_old_numpyro_python(tmp_path / "numpyro-021")
    scheduler_file = tmp_path / "scheduler.json"
    db, out = tmp_path / "store.sqlite", tmp_path / "reports"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--scheduler-file",
                                  str(scheduler_file), "--port", "0", "--dashboard-address", ":0"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        worker = subprocess.Popen([old_python, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                   "--resources", "bench=1", "--no-nanny"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=120)
        proc = run([*COMPARE, *SWEEP, "--cluster", address, "--db", str(db), "--out", str(out)], expect=1)
    finally:
        for child in (worker, scheduler):
            if child is not None:
                child.terminate()
                child.wait(timeout=60)
    text = proc.stdout + proc.stderr
    assert f"numpyro {OLD_NUMPYRO} here, " in text and "on the client" in text, text
    assert "refused" in text and "no worker can measure this sweep" in text, text
    sweep, records = stored(db)
    assert records == [] and not sweep.complete


def test_an_adaptive_cluster_sweep_races_each_cell_within_itself(tmp_path):
    """--runs auto on local:2: every cell runs its race's rounds on one worker, the sweep ends
    complete, and the report has each cell's race."""
    db, out = tmp_path / "store.sqlite", tmp_path / "reports"
    run([*COMPARE, "--models", "linear_regression", "--n", "40", "80", "--samplers", "numpyro", "--max-runs", "2",
         "--chains", "2", "--tune", "100", "--draws", "100", "--cache", "cold", "--no-gradient-floor",
         "--cluster", "local:2", "--db", str(db), "--out", str(out), "--name", "race"])
    sweep, records = stored(db)
    assert sweep.complete and sweep.config["runs"] == "auto"
    for n in (40, 80):
        mine = [r for r in records if r["n"] == n and not r.get("priming")]
        assert sorted(r["run"] for r in mine) == [1, 2] and all(r["status"] == "ok" for r in mine), mine
        assert len({r["dask_worker"] for r in mine}) == 1
    text = (out / "race.md").read_text()
    assert "### linear_regression, n = 40: the race (adaptive runs)" in text
    assert "### linear_regression, n = 80: the race (adaptive runs)" in text
