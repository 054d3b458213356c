"""One measurement in a fresh worker process, seen from the parent: the worker's environment,
the spawn, the timeout, the memory watch, the record read back and checked, the fields only
the parent can measure (whole-process seconds, peak memory). Also the availability probe, asked
in a child process. Like pyperf's ``_manager.py``: spawning lives apart from planning."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from samplerbench.environment import REPO_ROOT, with_checkout_on_path
from samplerbench.fields import TIMING_FIELDS
from samplerbench.memory import TreeMemoryWatch, max_rss_mib
from samplerbench.run_record import RECORD_VERSION
from samplerbench.sweep.config import CACHE_MODES, SWEEP_SETTINGS, SweepConfig


def worker_env(base: dict, cache_dir: Path, cache: str, chains: int) -> dict:
    """Environment of one worker: its own compile caches, float64, one XLA device per chain."""
    env = dict(base)
    flags = [f for f in env.get("XLA_FLAGS", "").split() if "xla_force_host_platform_device_count" not in f]
    env["XLA_FLAGS"] = " ".join([*flags, f"--xla_force_host_platform_device_count={chains}"])
    # float64 and CPU whatever the user's environment says (PROTOCOL): PYTENSOR_FLAGS override
    # .pytensorrc, later entries override earlier ones; the worker records what it really used.
    env["JAX_ENABLE_X64"] = "1"
    env["JAX_PLATFORMS"] = "cpu"
    pytensor_flags = [f for f in env.get("PYTENSOR_FLAGS", "").split(",")
                      if f and not f.startswith(("base_compiledir=", "floatX="))]
    env["PYTENSOR_FLAGS"] = ",".join([*pytensor_flags, "floatX=float64",
                                      f"base_compiledir={cache_dir / 'pytensor'}"])
    env["XDG_CACHE_HOME"] = str(cache_dir / "xdg")  # httpstan's model cache
    env["NUMBA_CACHE_DIR"] = str(cache_dir / "numba")
    if cache == "warm":
        # Warm: JAX's persistent compilation cache is on, like every other cache.
        env["JAX_COMPILATION_CACHE_DIR"] = str(cache_dir / "jax")
        env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
        env["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"
    else:
        env.pop("JAX_COMPILATION_CACHE_DIR", None)
        env["JAX_ENABLE_COMPILATION_CACHE"] = "false"
    env = with_checkout_on_path(env)
    env["PYTHONUNBUFFERED"] = "1"
    env["SAMPLERBENCH_PARENT_PID"] = str(os.getpid())  # the worker dies with its orchestrator
    return env


def probe_availability(names: list[str], timeout_s: float = 120,
                       python: str | None = None) -> dict[str, str | None]:
    """Ask a child process of the workers' interpreter which backends can run (imports happen
    there, not here)."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    try:
        proc = subprocess.run(
            [python or sys.executable, "-m", "samplerbench.sweep.probe", *names],
            capture_output=True, text=True, env=env, timeout=timeout_s, cwd=REPO_ROOT,
        )
        return json.loads(proc.stdout)
    except (subprocess.SubprocessError, json.JSONDecodeError) as err:
        return {name: f"availability probe failed: {err}" for name in names}


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _last_log_line(log_path: Path) -> str:
    try:
        lines = [l.strip() for l in log_path.read_text(errors="replace").splitlines() if l.strip()]
    except OSError:
        return ""
    return lines[-1] if lines else ""


# Environment variables that change timings (thread pools, XLA and PyTensor flags): recorded as
# the worker saw them, so two records that differ there can be told apart.
TIMING_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS",
                   "XLA_FLAGS", "JAX_PLATFORMS", "JAX_ENABLE_X64", "PYTENSOR_FLAGS")


def _read_worker_record(path: Path) -> dict:
    """The worker's record, checked before it is trusted (as pyperf does): a file that is not
    a JSON object with a status becomes a failed record saying so, never an exception."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        return {"status": "failed", "reason": f"the worker's record {path.name} is unreadable: {err}"}
    if not isinstance(record, dict) or record.get("status") not in ("ok", "failed", "skipped"):  # not NOT_APPLICABLE: the parent decides that
        return {"status": "failed", "reason": f"the worker's record {path.name} has no valid status"}
    return record


def measure_one(model: str, sampler: str, n: int, run: int, cfg: SweepConfig, cache_dir: Path,
                scratch: Path, log_dir: Path | None = None, kind: str = "run", cache: str | None = None,
                keep_log: bool = False) -> dict:
    """Take one measurement (a timed run, or the gradient floor) in a fresh worker process and
    return its record (never raises). ``cache`` is this run's mode (a `both` sweep has two).
    The worker's log is kept in ``log_dir`` when the run failed, or always with ``keep_log``."""
    cache = cache or cfg.cache
    if cache not in CACHE_MODES:
        raise ValueError(f"a run's cache mode is one of {', '.join(CACHE_MODES)}, not {cache!r}")
    seed = secrets.randbelow(2**31 - 1) + 1
    work_dir = Path(tempfile.mkdtemp(prefix=f"{sampler}-{run}-", dir=scratch))
    settings = cfg.run_settings(seed, cache_dir, work_dir, cache)
    config = {"model": model, "sampler": sampler, "n": n, "settings": asdict(settings), "kind": kind}
    config_path, result_path, log_path = work_dir / "config.json", work_dir / "result.json", work_dir / "worker.log"
    config_path.write_text(json.dumps(config))
    env = worker_env(os.environ, cache_dir, cache, cfg.chains)
    finished = _spawn_and_wait(cfg, env, config_path, result_path, log_path, work_dir)
    record = _worker_outcome(finished, cfg, result_path, log_path)
    record.update(model=model, sampler=sampler, n=n, run=run, seed=seed, process_s=finished.process_s,
                  **{name: getattr(settings, name) for name in SWEEP_SETTINGS},
                  parallel_chains=settings.parallel_chains, **_memory_fields(finished, record),
                  worker_env={name: env.get(name) for name in TIMING_ENV_VARS}, worker_python=cfg.worker_python,
                  finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    record["kind"] = kind
    record["record_version"] = RECORD_VERSION  # also of a record the parent wrote (a timeout, a crash)
    for name in TIMING_FIELDS:
        record.setdefault(name, None)  # every record carries every timing field; null = not measured
    if record["status"] == "ok" and kind == "run":
        # Time the harness adds around the measured work: interpreter start, reading the
        # config, data generation, writing the record (diagnostics are timed separately).
        record["harness_overhead_s"] = (
            finished.process_s - record["import_s"] - record["end_to_end_s"] - record.get("diagnostics_s", 0.0)
        )
    if record["status"] == "failed" or keep_log:
        kept_log = (log_dir or scratch.parent / "logs") / f"{model}-{sampler}-n{n}-{cache}-run{run}.log"
        kept_log.parent.mkdir(parents=True, exist_ok=True)
        if log_path.exists():
            shutil.copyfile(log_path, kept_log)
            record["log"] = str(kept_log)
    if record["status"] != "failed":
        record.pop("traceback", None)
    shutil.rmtree(work_dir, ignore_errors=True)
    return record


@dataclass
class _Finished:
    """A worker process that has ended: its exit code, its resource usage, its seconds, and
    what the memory watch saw."""

    returncode: int
    usage: object
    process_s: float
    watch: TreeMemoryWatch


def _spawn_and_wait(cfg: SweepConfig, env: dict, config_path: Path, result_path: Path, log_path: Path,
                    work_dir: Path) -> _Finished:
    with open(log_path, "w") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [cfg.worker_python, "-m", "samplerbench.measure.worker", str(config_path), str(result_path)],
            cwd=work_dir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # The worker leads its own session: the watch sums the memory of every process in it
        # and kills the session at the timeout, while this thread waits for the worker with
        # wait4, which also returns the kernel's high-water mark of its memory.
        watch = TreeMemoryWatch(proc.pid, deadline=start + cfg.timeout_s, on_deadline=lambda: _kill_group(proc))
        try:
            with watch:
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
        except BaseException:
            # Ctrl-C (or any error here): the worker lives in its own session and would
            # otherwise go on computing a run nobody will record.
            _kill_group(proc)
            proc.wait()
            raise
        process_s = time.perf_counter() - start
    _kill_group(proc)  # reap helper processes a backend may have left (httpstan's pool)
    return _Finished(proc.returncode, usage, process_s, watch)


def _worker_outcome(finished: _Finished, cfg: SweepConfig, result_path: Path, log_path: Path) -> dict:
    """The worker's record; or a failed one saying it timed out, or how the worker exited."""
    if finished.watch.deadline_passed:
        return {"status": "failed", "reason": f"timed out after {cfg.timeout_s:g} s (--timeout)"}
    if result_path.exists():
        return _read_worker_record(result_path)
    last = _last_log_line(log_path)
    return {"status": "failed",
            "reason": f"worker exited with code {finished.returncode}" + (f": {last}" if last else "")}


def _memory_fields(finished: _Finished, record: dict) -> dict:
    """Peak memory of the run's process tree, measured from outside (PROTOCOL)."""
    watch = finished.watch
    # The largest single process: the kernel's high-water marks, as the watch read them and as
    # the worker read its own just before writing its record (ru_maxrss only without /proc).
    largest_process_mib = max(filter(None, (watch.largest_process_mib, record.pop("worker_vm_hwm_mib", None))),
                              default=None)
    if largest_process_mib is None and watch.peak_mib is None:
        largest_process_mib = max_rss_mib(finished.usage)
    return dict(
        # PSS summed over the tree (shared pages once); a run too short for one sample falls
        # back to the largest process's high-water mark. The high-water mark (RSS, shared pages
        # in full) stays beside it as the check from outside the sampling.
        peak_pss_mib=watch.peak_mib if watch.peak_mib is not None else largest_process_mib,
        peak_pss_processes_by_rss=watch.processes_by_rss,
        tree_processes_max=watch.processes_max,
        peak_rss_largest_process_mib=largest_process_mib,
    )
