"""Runs every (model, n, backend) ``runs`` times, each run in a fresh worker process.

The parent never imports a sampling library: it prepares the environment (caches, host
devices, float64), spawns ``samplerbench.measure.worker``, enforces the timeout, times the whole
process, and appends each record to the JSON-lines files the moment it arrives.
"""

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
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from samplerbench.environment import REPO_ROOT, with_checkout_on_path
from samplerbench.fields import FLOOR, NOT_APPLICABLE, TIMING_FIELDS
from samplerbench.time_to_ess import DEFAULT_ESS_TARGETS
from samplerbench.memory import TreeMemoryWatch, max_rss_mib
from samplers.base import RunSettings  # a plain dataclass: no sampling library is imported

CACHE_MODES = ("cold", "warm")
BOTH = "both"  # a sweep that measures both modes, interleaved, so one report holds both
FLOOR_NEEDS = ("numpyro", "pymc")  # the floor times the NumPyro and the PyMC version; one suffices


_RUN_FIELDS = {f.name: f for f in fields(RunSettings)}
# The run settings a sweep fixes for all its runs (the rest, seed and folders, differ per run).
SWEEP_SETTINGS = tuple(name for name in _RUN_FIELDS if name not in ("seed", "cache_dir", "work_dir"))


def _every_backend() -> list[str]:
    import samplers  # the registry: names only, no backend module is imported

    return samplers.names()


@dataclass
class SweepConfig:
    """A sweep: what to run, and the run settings. The one source of every default of a sweep:
    the run settings' are RunSettings' own, and the command line's flags, their help and
    ``--resume`` read theirs from here (``sweep_default``)."""

    models: list[str] = field(default_factory=lambda: ["linear_regression"])
    samplers: list[str] = field(default_factory=lambda: _every_backend())
    ns: list[int] = field(default_factory=lambda: [2000])
    runs: int = 5
    cache: str = BOTH  # a sweep's default: cold and warm runs interleaved (a run's own mode is one of them)
    chains: int = _RUN_FIELDS["chains"].default
    tune: int = _RUN_FIELDS["tune"].default
    draws: int = _RUN_FIELDS["draws"].default
    target_accept: float = _RUN_FIELDS["target_accept"].default
    max_treedepth: int = _RUN_FIELDS["max_treedepth"].default
    timeout_s: float = 600.0
    cores: int = field(default_factory=_RUN_FIELDS["cores"].default_factory)
    gradient_floor: bool = True
    ess_targets: list[int] = field(default_factory=lambda: list(DEFAULT_ESS_TARGETS))
    # The interpreter the workers run (`--python`: another environment, other library
    # versions); None is the orchestrator's own. The orchestrator never imports what it measures.
    python: str | None = None

    @property
    def worker_python(self) -> str:
        return self.python or sys.executable

    @property
    def cache_modes(self) -> tuple[str, ...]:
        """The cache modes measured: one, or both for `--cache both`."""
        return CACHE_MODES if self.cache == BOTH else (self.cache,)

    def run_settings(self, seed: int, cache_dir: Path, work_dir: Path, cache: str | None = None) -> RunSettings:
        values = {name: getattr(self, name) for name in SWEEP_SETTINGS}
        values["cache"] = cache or self.cache
        return RunSettings(seed=seed, cache_dir=str(cache_dir), work_dir=str(work_dir), **values)


def sweep_default(name: str):
    """The default of one SweepConfig field (a fresh copy of a list)."""
    f = SweepConfig.__dataclass_fields__[name]
    return f.default_factory() if callable(f.default_factory) else f.default


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
                scratch: Path, log_dir: Path | None = None, kind: str = "run", cache: str | None = None) -> dict:
    """Take one measurement (a timed run, or the gradient floor) in a fresh worker process and
    return its record (never raises). ``cache`` is this run's mode (a `both` sweep has two)."""
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
    timed_out = watch.deadline_passed
    _kill_group(proc)  # reap helper processes a backend may have left (httpstan's pool)

    record: dict = {"status": "failed", "reason": ""}
    if timed_out:
        record["reason"] = f"timed out after {cfg.timeout_s:g} s (--timeout)"
    elif result_path.exists():
        record = _read_worker_record(result_path)
    else:
        last = _last_log_line(log_path)
        record["reason"] = f"worker exited with code {proc.returncode}" + (f": {last}" if last else "")

    # The largest single process: the kernel's high-water marks, as the watch read them and as
    # the worker read its own just before writing its record (ru_maxrss only without /proc).
    largest_process_mib = max(filter(None, (watch.largest_process_mib, record.pop("worker_vm_hwm_mib", None))),
                              default=None)
    if largest_process_mib is None and watch.peak_mib is None:
        largest_process_mib = max_rss_mib(usage)
    record.update(
        model=model, sampler=sampler, n=n, run=run, seed=seed, process_s=process_s,
        **{name: getattr(settings, name) for name in SWEEP_SETTINGS},
        parallel_chains=settings.parallel_chains,
        # PSS summed over the tree (shared pages once); a run too short for one sample falls
        # back to the largest process's high-water mark. The high-water mark (RSS, shared pages
        # in full) stays beside it as the check from outside the sampling.
        peak_pss_mib=watch.peak_mib if watch.peak_mib is not None else largest_process_mib,
        peak_pss_processes_by_rss=watch.processes_by_rss,
        tree_processes_max=watch.processes_max,
        peak_rss_largest_process_mib=largest_process_mib,
        worker_env={name: env.get(name) for name in TIMING_ENV_VARS},
        worker_python=cfg.worker_python,
        finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    record["kind"] = kind
    for name in TIMING_FIELDS:
        record.setdefault(name, None)  # every record carries every timing field; null = not measured
    if record["status"] == "ok" and kind == "run":
        # Time the harness adds around the measured work: interpreter start, reading the
        # config, data generation, writing the record (diagnostics are timed separately).
        record["harness_overhead_s"] = (
            process_s - record["import_s"] - record["end_to_end_s"] - record.get("diagnostics_s", 0.0)
        )
    if record["status"] == "failed":
        kept_log = (log_dir or scratch.parent / "logs") / f"{model}-{sampler}-n{n}-{cache}-run{run}.log"
        kept_log.parent.mkdir(parents=True, exist_ok=True)
        if log_path.exists():
            shutil.copyfile(log_path, kept_log)
            record["log"] = str(kept_log)
    else:
        record.pop("traceback", None)
    shutil.rmtree(work_dir, ignore_errors=True)
    return record


class RecordSink:
    """Commits each record to the results store (and appends it to any JSON-lines files) at once,
    so nothing measured is lost when the sweep is interrupted."""

    def __init__(self, store, header: dict, session: int | None = None, json_paths: list[Path] = ()):
        self.store = store
        self.header = header
        self.session = session
        self.json_paths = list(json_paths)
        for path in self.json_paths:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.records: list[dict] = []

    def write(self, record: dict) -> None:
        record = {"sweep_id": self.header["sweep_id"], **record}
        self.records.append(record)
        self.store.add_run(self.header["sweep_id"], record, self.session)
        line = json.dumps(record, default=str) + "\n"
        for path in self.json_paths:
            with open(path, "a") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())


@dataclass(frozen=True)
class PlannedRun:
    """One measurement a sweep owes: a timed run, or the gradient floor of a (model, n)."""

    model: str
    n: int
    sampler: str
    run: int
    kind: str = "run"
    cache: str = "cold"  # the floor compiles afresh whatever the sweep's mode

    @property
    def key(self) -> tuple:
        return (self.kind, self.model, self.n, "" if self.kind == FLOOR else self.cache, self.sampler, self.run)


def plan(cfg: SweepConfig) -> list[PlannedRun]:
    """Every measurement of the sweep, in the order they are taken: per model and n the
    floor, then the runs round-robin over backends (run 1 of every backend, then run 2, ...;
    with `--cache both`, run 1 cold of every backend, run 1 warm of every backend, ...), so a
    burst of background load is spread over backends and cache modes instead of falling on one."""
    tasks = []
    for model in cfg.models:
        for n in cfg.ns:
            if cfg.gradient_floor:
                tasks.append(PlannedRun(model, n, FLOOR, 1, FLOOR))
            for run in range(1, cfg.runs + 1):
                for cache in cfg.cache_modes:
                    tasks += [PlannedRun(model, n, sampler, run, cache=cache) for sampler in cfg.samplers]
    return tasks


def unmeasured_record(task: PlannedRun, status: str, reason: str) -> dict:
    """The record of a planned measurement that was not taken (skipped here, or failed with
    its cluster cell), every timing missing."""
    return dict(model=task.model, sampler=task.sampler, n=task.n, cache=task.cache, run=task.run,
                kind=task.kind, status=status, reason=reason, **{name: None for name in TIMING_FIELDS})


def not_applicable_reason(model: str, sampler: str) -> str | None:
    """Why ``sampler`` has nothing to run for ``model`` (the model is not written in its
    language; for the floor, in neither PyMC nor NumPyro), or None."""
    import models
    import samplers

    spec = models.get(model)
    needs = [samplers.get(name).language for name in (FLOOR_NEEDS if sampler == FLOOR else (sampler,))]
    if set(needs) & set(spec.languages):
        return None
    files = " or ".join(models.LANGUAGE_FILES[lang] for lang in dict.fromkeys(needs))
    written = ", ".join(models.LANGUAGE_FILES[lang] for lang in spec.languages)
    what = "the gradient floor times the PyMC or NumPyro version" if sampler == FLOOR else f"{sampler} runs {needs[0]} models"
    return f"{what}, and {spec.name} has no {files} (it is written as {written})"


def measure_sweep(cfg: SweepConfig, sink: RecordSink, availability: dict[str, str | None],
                  log_dir: Path | None = None, on_event: Callable[[str, dict], None] = lambda kind, info: None,
                  done: set[tuple] | frozenset = frozenset()) -> list[dict]:
    """Measure everything in ``cfg`` that is not in ``done`` (keys of finished measurements,
    for --resume); ``on_event`` receives progress ("start"/"record")."""
    todo = [task for task in plan(cfg) if task.key not in done]
    return measure_tasks(todo, cfg, sink, availability, log_dir, on_event)


def measure_tasks(todo: list[PlannedRun], cfg: SweepConfig, sink, availability: dict[str, str | None],
                  log_dir: Path | None = None,
                  on_event: Callable[[str, dict], None] = lambda kind, info: None) -> list[dict]:
    """Measure ``todo`` in order on this machine, handing each record to ``sink.write`` as it
    arrives (a sweep here, or one comparison cell on a cluster's worker)."""
    root = Path(tempfile.mkdtemp(prefix="samplerbench-"))
    scratch = root / "work"
    scratch.mkdir()
    primed: set[tuple] = set()
    applicable: dict[tuple, str | None] = {}
    try:
        for index, task in enumerate(todo):
            progress = {"model": task.model, "sampler": task.sampler, "n": task.n, "run": task.run,
                        "cache": task.cache, "done": index, "total": len(todo)}
            pair = (task.model, task.sampler)
            if pair not in applicable:
                applicable[pair] = not_applicable_reason(*pair)
            if applicable[pair]:
                record = unmeasured_record(task, NOT_APPLICABLE, applicable[pair])
                sink.write(record)
                on_event("record", {**progress, "record": record})
                continue
            needs = FLOOR_NEEDS if task.kind == FLOOR else (task.sampler,)
            reasons = [availability.get(name) for name in needs]
            if all(reasons):
                record = unmeasured_record(task, "skipped", "; ".join(dict.fromkeys(reasons)))
                sink.write(record)
                on_event("record", {**progress, "record": record})
                continue
            if task.kind == FLOOR:
                on_event("start", {**progress, "floor": True})
                record = measure_one(task.model, FLOOR, task.n, 1, cfg, root / "cache" / f"floor-{task.model}-{task.n}",
                                     scratch, log_dir, kind=FLOOR, cache=task.cache)
                sink.write(record)
                on_event("record", {**progress, "record": record})
                continue
            group = (task.model, task.sampler, task.n)
            shared_cache = root / "cache" / f"{task.model}-{task.sampler}-n{task.n}-warm"
            if task.cache == "warm" and group not in primed:
                # Untimed run that fills the caches; a resumed sweep primes again (caches of
                # the interrupted session are gone), which changes no timed number.
                on_event("start", {**progress, "run": 0, "priming": True})
                record = measure_one(task.model, task.sampler, task.n, 0, cfg, shared_cache, scratch, log_dir,
                                     cache="warm")
                record["priming"] = True  # not in statistics
                sink.write(record)
                on_event("record", {**progress, "record": record})
                primed.add(group)
            on_event("start", progress)
            cache_dir = shared_cache if task.cache == "warm" else root / "cache" / f"run-{index}"
            record = measure_one(task.model, task.sampler, task.n, task.run, cfg, cache_dir, scratch, log_dir,
                                 cache=task.cache)
            if task.cache == "cold":
                shutil.rmtree(cache_dir, ignore_errors=True)
            sink.write(record)
            on_event("record", {**progress, "record": record})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return sink.records


def sweep_header(cfg: SweepConfig, environment: dict) -> dict:
    stamp = datetime.now(timezone.utc)
    return {
        # Time plus a random suffix: two sweeps started in the same second stay apart.
        "sweep_id": stamp.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2),
        "started_at": stamp.isoformat(timespec="seconds"),
        "config": asdict(cfg),
        "environment": environment,
    }
