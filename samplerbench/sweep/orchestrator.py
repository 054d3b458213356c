"""Runs every (model, n, backend) ``runs`` times, each run in a fresh worker process.

The parent never imports a sampling library. This module plans (round-robin over backends and
cache modes), primes warm caches, decides what is not applicable or skipped, and hands each
record to the store the moment it arrives; ``spawn`` takes each measurement in its worker.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from samplerbench.fields import FLOOR, NOT_APPLICABLE, TIMING_FIELDS
from samplerbench.run_record import RECORD_VERSION, run_key
from samplerbench.sweep.config import SweepConfig
from samplerbench.sweep.spawn import measure_one

FLOOR_NEEDS = ("numpyro", "pymc")  # the floor times the NumPyro and the PyMC version; one suffices


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
        return run_key({"kind": self.kind, "model": self.model, "n": self.n, "cache": self.cache,
                        "sampler": self.sampler, "run": self.run})


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
            for run in range(1, cfg.most_runs + 1):  # adaptive: the most the race may run
                for cache in cfg.cache_modes:
                    tasks += [PlannedRun(model, n, sampler, run, cache=cache) for sampler in cfg.samplers]
    return tasks


def unmeasured_record(task: PlannedRun, status: str, reason: str) -> dict:
    """The record of a planned measurement that was not taken (skipped here, or failed with
    its cluster cell), every timing missing."""
    return dict(model=task.model, sampler=task.sampler, n=task.n, cache=task.cache, run=task.run,
                kind=task.kind, status=status, reason=reason, record_version=RECORD_VERSION,
                **{name: None for name in TIMING_FIELDS})


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
                  done: set[tuple] | frozenset = frozenset(), stored: list[dict] = ()) -> list[dict]:
    """Measure everything in ``cfg`` that is not in ``done`` (keys of finished measurements,
    for --resume; ``stored`` their records, from which an adaptive sweep's race continues);
    ``on_event`` receives progress ("start"/"record", and "round" in a race)."""
    if cfg.adaptive:
        from samplerbench.sweep.adaptive import measure_races

        return measure_races(cfg, sink, availability, log_dir, on_event, stored)
    todo = [task for task in plan(cfg) if task.key not in done]
    return measure_tasks(todo, cfg, sink, availability, log_dir, on_event)


def scratch_state(cfg: SweepConfig, sink, availability, log_dir, on_event) -> "_SweepState":
    """A measuring state over a fresh scratch folder (``state.close()`` removes it)."""
    root = Path(tempfile.mkdtemp(prefix="samplerbench-"))
    (root / "work").mkdir()
    return _SweepState(cfg, sink, availability, root, log_dir, on_event)


def measure_tasks(todo: list[PlannedRun], cfg: SweepConfig, sink, availability: dict[str, str | None],
                  log_dir: Path | None = None,
                  on_event: Callable[[str, dict], None] = lambda kind, info: None) -> list[dict]:
    """Measure ``todo`` in order on this machine, handing each record to ``sink.write`` as it
    arrives (a sweep here, or one comparison cell on a cluster's worker)."""
    state = scratch_state(cfg, sink, availability, log_dir, on_event)
    try:
        for index, task in enumerate(todo):
            state.measure(task, index, len(todo))
    finally:
        state.close()
    return sink.records


class _SweepState:
    """What measuring a list of tasks remembers between them: which backends were primed (warm
    caches), which (model, backend) pairs are not applicable, the scratch and cache folders."""

    def __init__(self, cfg, sink, availability, root: Path, log_dir, on_event):
        self.cfg, self.sink, self.availability, self.root = cfg, sink, availability, root
        self.scratch, self.log_dir, self.on_event = root / "work", log_dir, on_event
        self.primed: set[tuple] = set()
        self.applicable: dict[tuple, str | None] = {}

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _record(self, progress: dict, record: dict) -> dict:
        self.sink.write(record)
        self.on_event("record", {**progress, "record": record})
        return record

    def _not_measured(self, task: PlannedRun) -> dict | None:
        """The record of a task that is not applicable or whose backends are all unavailable."""
        pair = (task.model, task.sampler)
        if pair not in self.applicable:
            self.applicable[pair] = not_applicable_reason(*pair)
        if self.applicable[pair]:
            return unmeasured_record(task, NOT_APPLICABLE, self.applicable[pair])
        reasons = [self.availability.get(name) for name in (FLOOR_NEEDS if task.kind == FLOOR else (task.sampler,))]
        if all(reasons):
            return unmeasured_record(task, "skipped", "; ".join(dict.fromkeys(reasons)))
        return None

    def measure(self, task: PlannedRun, index: int, total: int | None) -> dict:
        """Measure ``task`` (priming the warm caches first where needed); returns its record."""
        cfg, root, scratch, log_dir = self.cfg, self.root, self.scratch, self.log_dir
        progress = {"model": task.model, "sampler": task.sampler, "n": task.n, "run": task.run,
                    "cache": task.cache, "done": index, "total": total}
        unmeasured = self._not_measured(task)
        if unmeasured:
            return self._record(progress, unmeasured)
        if task.kind == FLOOR:
            self.on_event("start", {**progress, "floor": True})
            return self._record(progress, measure_one(
                task.model, FLOOR, task.n, 1, cfg, root / "cache" / f"floor-{task.model}-{task.n}", scratch, log_dir,
                kind=FLOOR, cache=task.cache))
        group = (task.model, task.sampler, task.n)
        shared_cache = root / "cache" / f"{task.model}-{task.sampler}-n{task.n}-warm"
        if task.cache == "warm" and group not in self.primed:
            # Untimed run that fills the caches; a resumed sweep primes again (caches of
            # the interrupted session are gone), which changes no timed number.
            self.on_event("start", {**progress, "run": 0, "priming": True})
            record = measure_one(task.model, task.sampler, task.n, 0, cfg, shared_cache, scratch, log_dir, cache="warm")
            record["priming"] = True  # not in statistics
            self._record(progress, record)
            self.primed.add(group)
        self.on_event("start", progress)
        cache_dir = shared_cache if task.cache == "warm" else root / "cache" / f"run-{index}"
        record = measure_one(task.model, task.sampler, task.n, task.run, cfg, cache_dir, scratch, log_dir,
                             cache=task.cache)
        if task.cache == "cold":
            shutil.rmtree(cache_dir, ignore_errors=True)
        return self._record(progress, record)


def sweep_header(cfg: SweepConfig, environment: dict) -> dict:
    stamp = datetime.now(timezone.utc)
    return {
        # Time plus a random suffix: two sweeps started in the same second stay apart.
        "sweep_id": stamp.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2),
        "started_at": stamp.isoformat(timespec="seconds"),
        "config": asdict(cfg),
        "environment": environment,
    }
