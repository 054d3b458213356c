"""Sweeps on a Dask cluster (``--cluster``): one comparison cell per worker at a time.

A *cell* is one model at one n: every backend, every run, cold and warm, priming included, in
the order ``orchestrator.plan`` gives them. All the numbers one table compares come from one
machine; cells run in parallel on different workers. A worker takes one cell at a time (the
Dask worker resource ``bench=1``) and measures it exactly as a sequential sweep does (a fresh
process per run, ``orchestrator.measure_tasks``); each record goes back at once through a Dask
``Queue`` to the client, which commits it to its store. So a killed client, a lost worker or
Ctrl-C keeps every finished run, and ``--resume`` re-sends only what is missing.

Before measuring, a worker checks that its samplerbench commit, Python and library versions
and model files are the client's, and refuses the cell (naming the difference) otherwise. A
cell whose worker dies is re-sent by Dask to another worker (up to the scheduler's
``allowed-failures``), which skips the runs the client already has, and refuses to finish a
cell whose earlier runs came from a machine with another fingerprint (CPU, cores, memory):
no table ever pools two machines. Nothing here is imported without ``--cluster``.
"""

from __future__ import annotations

import math
import socket
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from samplerbench import environment
from samplerbench.environment import machine_label
from samplerbench.fields import FLOOR, UNMEASURED
from samplerbench.run_record import run_key
from samplerbench.sweep.config import SweepConfig
from samplerbench.sweep.orchestrator import measure_tasks, PlannedRun
from samplerbench.sweep.spawn import probe_availability

RESOURCE = "bench"  # each worker offers bench=1; each cell asks for 1
ABANDONED_AFTER_S = 120.0  # a cell stops when the client's heartbeat has not moved for this long
HEARTBEAT_S = 2.0
WORKERS_WAIT_S = 120.0  # how long to wait for workers when every checked one has left
LOCAL_PREFIX = "local:"


class ClusterUnusable(RuntimeError):
    """The cluster cannot measure (some of) this sweep; the message says why."""


class WorkerRefused(ClusterUnusable):
    """A worker that must not measure this cell (another environment, another machine)."""


class ClientGone(RuntimeError):
    """The client stopped listening: measuring on would produce runs nobody records."""


@dataclass(frozen=True)
class Cell:
    model: str
    n: int
    tasks: tuple[PlannedRun, ...]
    # An adaptive sweep's cell: its runs so far, from which the worker continues the race
    # (its tasks are then only the race's next round, for the estimate and the failed records).
    records: tuple[dict, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.model}-n{self.n}"


def bench_workers(scheduler_info: dict) -> set[str]:
    """Addresses of the workers that offer the bench resource (started with --resources bench=1)."""
    return {addr for addr, w in scheduler_info["workers"].items() if w.get("resources", {}).get(RESOURCE, 0) >= 1}


def parse_cluster(text: str) -> tuple[str, int | str]:
    """``local:K`` -> ("local", K); a scheduler address -> ("address", it). ValueError says why."""
    if text.startswith(LOCAL_PREFIX):
        count = text[len(LOCAL_PREFIX):]
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"{text!r}: local:K needs a whole number of workers K >= 1, e.g. local:2")
        return "local", int(count)
    if "://" not in text and ":" not in text:
        raise ValueError(f"{text!r} is neither local:K nor a scheduler address such as tcp://HOST:8786")
    return "address", text


def cells_of(todo: list[PlannedRun]) -> list[Cell]:
    """The cells of a plan, in plan order, each with its tasks in plan order."""
    grouped: dict[tuple, list[PlannedRun]] = {}
    for task in todo:
        grouped.setdefault((task.model, task.n), []).append(task)
    return [Cell(model, n, tuple(tasks)) for (model, n), tasks in grouped.items()]


def machine_fingerprint(env: dict) -> dict:
    """What makes two machines' timings comparable: CPU model, cores, memory."""
    return {name: env.get(name) for name in ("cpu", "cores", "memory_gib")}


def source_sha256() -> str:
    """One digest of the measuring code (samplerbench, samplers, models): two checkouts of one
    commit with different uncommitted edits differ here."""
    from models.spec import files_digest

    root = environment.REPO_ROOT
    return files_digest(root, (path for package in ("samplerbench", "samplers", "models")
                               for path in (root / package).rglob("*")
                               if path.is_file() and path.suffix in (".py", ".stan", ".json", ".csv")))


def expected_state(env: dict, models_used: list[str]) -> dict:
    """What every worker must share with the client before it measures."""
    import models

    return {
        "python": env.get("python"),
        "commit": (env.get("git") or {}).get("commit"),
        "source_sha256": source_sha256(),
        "libraries": env.get("libraries") or {},
        "model_sha256": {name: models.get(name).files_sha256() for name in models_used},
    }


def mismatches(expected: dict, actual: dict) -> list[str]:
    """Differences between the client's state and a worker's, in words (empty: none)."""
    found = []
    if expected["python"] != actual["python"]:
        found.append(f"Python {actual['python']} here, {expected['python']} on the client")
    if expected["commit"] != actual["commit"]:
        found.append(f"samplerbench commit {str(actual['commit'])[:12]} here, "
                     f"{str(expected['commit'])[:12]} on the client")
    elif expected["source_sha256"] != actual["source_sha256"]:
        found.append("samplerbench's source files differ from the client's (uncommitted edits?)")
    for name in sorted(set(expected["libraries"]) | set(actual["libraries"])):
        mine, theirs = actual["libraries"].get(name), expected["libraries"].get(name)
        if mine != theirs:
            found.append(f"{name} {mine or 'missing'} here, {theirs or 'missing'} on the client")
    for name, digest in expected["model_sha256"].items():
        if actual["model_sha256"].get(name) != digest:
            found.append(f"model {name}'s files differ from the client's")
    return found


def worker_state(models_used: list[str]) -> dict:
    """This process's state (run on a worker by the client, and by a cell before it measures)."""
    env = environment.collect()
    return {**expected_state(env, models_used), "host": socket.gethostname(),
            "machine": machine_fingerprint(env)}


class _QueueSink:
    """The cell's sink: every record goes to the client's queue the moment it exists."""

    def __init__(self, queue, cell: Cell, where: dict):
        self.queue, self.cell, self.where = queue, cell, where
        self.records: list[dict] = []

    def write(self, record: dict) -> None:
        record = {**record, **self.where}
        self.records.append(record)
        self.queue.put({"cell": self.cell.key, "record": record})


def run_cell(cell: Cell, cfg: SweepConfig, expected: dict, channel: str) -> int:
    """Measure one cell on this worker (runs in the Dask worker; returns the runs measured)."""
    from distributed import Queue, Variable, get_worker

    state = worker_state(list(expected["model_sha256"]))
    address = get_worker().address
    problems = mismatches(expected, state)
    if problems:
        raise WorkerRefused(f"worker {state['host']} ({address}) refuses cell {cell.key}: " + "; ".join(problems))
    progress = Variable(f"{channel}-done-{cell.key}").get()
    done = {tuple(key) for key in progress["keys"]}
    if progress["machine"] and progress["machine"] != state["machine"]:
        raise WorkerRefused(
            f"worker {state['host']} ({address}) refuses the rest of cell {cell.key}: its earlier runs ran on "
            f"{machine_label(progress['machine'])}, this is {machine_label(state['machine'])}")
    todo = [task for task in cell.tasks if task.key not in done]
    queue = Queue(channel)
    where = {"host": state["host"], "machine": state["machine"], "dask_worker": address}
    heartbeat = Variable(f"{channel}-heartbeat")
    last = {"beat": heartbeat.get(), "seen_at": time.monotonic()}

    def on_event(kind: str, info: dict) -> None:
        if kind != "start":
            return
        beat = heartbeat.get()
        if beat != last["beat"]:
            last.update(beat=beat, seen_at=time.monotonic())
        elif time.monotonic() - last["seen_at"] > ABANDONED_AFTER_S:
            raise ClientGone(f"no heartbeat from the client for {ABANDONED_AFTER_S:g} s: cell {cell.key} stops")
        queue.put({"cell": cell.key, "event": {**info, "host": state["host"]}})

    availability = probe_availability(cfg.samplers)
    logs = Path(tempfile.mkdtemp(prefix="samplerbench-logs-"))
    sink = _QueueSink(queue, cell, where)
    if cfg.adaptive:  # the cell races within itself, from the runs the client had when it sent it
        from samplerbench.sweep.adaptive import measure_races

        measure_races(replace(cfg, python=None), sink, availability, logs, on_event, list(cell.records),
                      cells=[(cell.model, cell.n)])
    else:
        measure_tasks(todo, replace(cfg, python=None), sink, availability, logs, on_event)
    return len(sink.records)


def count_workers(address: str) -> int:
    """Workers of a running scheduler that offer the bench resource (at least 1)."""
    from distributed import Client

    with Client(address, timeout="30s") as client:
        return max(1, len(bench_workers(client.scheduler_info(n_workers=-1))))


def estimate_plan(todo: list[PlannedRun], stored: list[dict], workers: int) -> tuple[list[dict], float, float, list[str]]:
    """Estimated seconds per cell from the median whole-process seconds of matching runs in the
    store (model, backend, n, cache mode; floors by model and n), a warm priming run costing as
    a warm run, and a backend's nearest stored n standing in for an n it has no run at. Returns (rows per cell, wall on 1 machine, wall on ``workers``, unknowns)."""
    import statistics

    # Keyed like run_key without the run number: (kind, model, n, cache, sampler).
    times: dict[tuple, list[float]] = {}
    for r in stored:
        if r.get("status") == "ok" and r.get("process_s") is not None or r.get("status") in UNMEASURED:
            times.setdefault(run_key(r)[:5], []).append(float(r.get("process_s") or 0.0))
    # Where this n has no run, the nearest stored n (on a log scale) of the same model and backend.
    for (kind, model, n, cache, sampler) in {t.key[:5] for t in todo}:
        if (kind, model, n, cache, sampler) not in times:
            near = [k for k in times if (k[0], k[1], k[3], k[4]) == (kind, model, cache, sampler)]
            if near:
                nearest = min(near, key=lambda k: abs(math.log(k[2] / n)))
                times[(kind, model, n, cache, sampler)] = times[nearest]
    rows, unknown = [], set()
    primed = set()
    for cell in cells_of(todo):
        seconds, missing = 0.0, 0
        for task in cell.tasks:
            key = task.key[:5]
            count = 1
            if task.cache == "warm" and task.kind != FLOOR and (task.model, task.n, task.sampler) not in primed:
                primed.add((task.model, task.n, task.sampler))
                count = 2
            if key in times:
                seconds += count * statistics.median(times[key])
            else:
                missing += 1
                unknown.add(f"{task.model} n={task.n} {task.sampler} {task.cache if task.kind != FLOOR else 'floor'}")
        rows.append({"cell": cell.key, "measurements": len(cell.tasks), "estimated_s": seconds,
                     "without_estimate": missing})
    one = sum(row["estimated_s"] for row in rows)
    # Longest cell first onto the least loaded worker (LPT): the wall time of K workers.
    loads = [0.0] * max(1, workers)
    for row in sorted(rows, key=lambda row: -row["estimated_s"]):
        loads[loads.index(min(loads))] += row["estimated_s"]
    return rows, one, max(loads), sorted(unknown)
