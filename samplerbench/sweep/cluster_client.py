"""The client's side of a ``--cluster`` sweep (samplerbench.sweep.cluster has the cells and the
workers' side): connect (or start a LocalCluster), check the workers, send the cells, commit
every record as it arrives, re-send cells whose workers all left, fail the runs of a cell that
could not finish. Nothing here is imported without ``--cluster``."""

from __future__ import annotations

import secrets
import time
from dataclasses import replace

from samplerbench.run_record import run_key
from samplerbench.sweep.cluster import (
    HEARTBEAT_S, RESOURCE, WORKERS_WAIT_S, Cell, ClusterUnusable, WorkerRefused, bench_workers, cells_of,
    expected_state, mismatches, parse_cluster, run_cell, worker_state,
)
from samplerbench.sweep.config import SweepConfig
from samplerbench.sweep.orchestrator import PlannedRun, unmeasured_record


class ClusterSweep:
    """The client's side: connects (or starts a LocalCluster), checks the workers, sends the
    cells and commits every record as it arrives."""

    def __init__(self, spec: str, cfg: SweepConfig, env: dict, sweep_id: str, print_fn=print):
        self.kind, self.target = parse_cluster(spec)
        self.cfg, self.sweep_id, self.print = cfg, sweep_id, print_fn
        self.expected = expected_state(env, cfg.models)
        self.cluster = self.client = None

    def __enter__(self):
        from distributed import Client, LocalCluster

        if self.kind == "local":
            # Single-threaded worker processes, one bench slot each: one cell per worker at a time.
            self.cluster = LocalCluster(n_workers=self.target, threads_per_worker=1, processes=True,
                                        resources={RESOURCE: 1}, dashboard_address=None)
            self.client = Client(self.cluster)
            return self
        try:
            self.client = Client(self.target, timeout="30s")
        except OSError as err:  # TimeoutError is one
            raise ClusterUnusable(f"--cluster {self.target}: cannot reach the Dask scheduler "
                                  f"({err or type(err).__name__})") from err
        return self

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def usable_workers(self) -> dict[str, dict]:
        """Workers that offer the bench resource and share the client's state; the others are
        named with the reason, and none usable is an error."""
        benches = bench_workers(self.client.scheduler_info(n_workers=-1))
        if not benches:
            raise WorkerRefused(f"no worker of {self.client.scheduler.address} offers the resource {RESOURCE}=1: "
                                f"start workers with `dask worker {self.client.scheduler.address} "
                                f"--nthreads 1 --resources {RESOURCE}=1`")
        states = self.client.run(worker_state, self.cfg.models, workers=sorted(benches))
        usable, refused = {}, []
        for addr, state in states.items():
            problems = mismatches(self.expected, state)
            if problems:
                refused.append(f"worker {state['host']} ({addr}) refused: " + "; ".join(problems))
            else:
                usable[addr] = state
        for line in refused:
            self.print(f"warning: {line}", flush=True)
        if not usable:
            raise WorkerRefused("no worker can measure this sweep:\n  " + "\n  ".join(refused))
        return usable

    def _usable_workers_within(self, seconds: float) -> dict[str, dict]:
        deadline = time.monotonic() + seconds
        while True:
            try:
                return self.usable_workers()
            except WorkerRefused:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)

    def run(self, todo: list[PlannedRun], sink, on_event, stored: list[dict]) -> dict[str, str]:
        """Measure ``todo`` on the cluster; returns the cells that could not be finished, with why."""
        workers = self.usable_workers()
        hosts = sorted({state["host"] for state in workers.values()})
        self.print(f"cluster: {len(workers)} worker{'s' if len(workers) != 1 else ''} on {', '.join(hosts)}",
                   flush=True)
        return _ClusterRun(self, workers, todo, sink, on_event, stored).until_done()


class _ClusterRun:
    """One ``ClusterSweep.run``: the cells sent, the records taken from the queue as they come
    (each committed at once), the heartbeat the cells watch, the cells re-sent when every
    checked worker left, and a failed record for every run of a cell that could not finish."""

    def __init__(self, sweep: ClusterSweep, workers: dict, todo: list[PlannedRun], sink, on_event, stored: list[dict]):
        from distributed import Queue, Variable

        self.sweep, self.client, self.workers = sweep, sweep.client, workers
        # A race's length is known only as it goes: no total then.
        self.sink, self.on_event = sink, on_event
        self.total = None if sweep.cfg.adaptive else len(todo)
        self.channel = f"samplerbench-{sweep.sweep_id}-{secrets.token_hex(3)}"
        self.queue = Queue(self.channel, client=self.client)
        self.heartbeat = Variable(f"{self.channel}-heartbeat", client=self.client)
        self.beat, self.last_beat = 0, time.monotonic()
        self.heartbeat.set(self.beat)
        self.stored = list(stored)
        cells = [self._with_records(cell) for cell in cells_of(todo)]
        self.seen = {run_key(r) for r in stored if not r.get("priming")}
        self.progress = {}
        for cell in cells:
            # A cell resumed after an interruption stays on the machine kind its first runs had.
            earlier = [r for r in stored if (r["model"], int(r["n"])) == (cell.model, cell.n) and r.get("machine")]
            self.progress[cell.key] = {"keys": [], "machine": earlier[0]["machine"] if earlier else None}
            self._publish(cell.key)
        self.attempts, self.counted, self.unfinished = 0, 0, {}
        self.by_key = {cell.key: cell for cell in cells}
        self.futures = {self._submit(cell): cell for cell in cells}

    def _with_records(self, cell: Cell) -> Cell:
        """An adaptive sweep's cell carries its runs so far (the stored ones and those taken since),
        from which its worker continues the race."""
        if not self.sweep.cfg.adaptive:
            return cell
        mine = [r for r in [*self.stored, *self.sink.records] if (r["model"], int(r["n"])) == (cell.model, cell.n)]
        return replace(cell, records=tuple(mine))

    def _owed(self, cell: Cell) -> list[PlannedRun]:
        """What the cell still owes: its planned runs, or an adaptive race's next round."""
        if not self.sweep.cfg.adaptive:
            return list(cell.tasks)
        from samplerbench.sweep.adaptive import owed_tasks

        records = [*self.stored, *self.sink.records]
        return [task for task in owed_tasks(self.sweep.cfg, records) if (task.model, task.n) == (cell.model, cell.n)]

    def _publish(self, cell_key: str) -> None:
        from distributed import Variable

        Variable(f"{self.channel}-done-{cell_key}", client=self.client).set(self.progress[cell_key])

    def _submit(self, cell: Cell):
        # Only to workers that passed the check (by address: a worker of another
        # environment may share a host with good ones).
        self.attempts += 1
        return self.client.submit(run_cell, cell, self.sweep.cfg, self.sweep.expected, self.channel,
                                  key=f"{self.channel}-{cell.key}-{self.attempts}", resources={RESOURCE: 1},
                                  workers=list(self.workers), pure=False)

    def _take(self, item: dict) -> None:
        cell = self.by_key[item["cell"]]
        if "event" in item:
            self.on_event("start", {**item["event"], "done": self.counted, "total": self.total})
            return
        record = item["record"]
        key = run_key(record)
        if not record.get("priming"):
            if key in self.seen:
                return  # a re-sent cell measured it again before it heard of the first
            self.seen.add(key)
            self.counted += 1
        self.sink.write(record)
        state = self.progress[cell.key]
        state["keys"].append(list(key))
        state["machine"] = state["machine"] or record.get("machine")
        self._publish(cell.key)
        self.on_event("record", {"model": record["model"], "n": record["n"], "sampler": record["sampler"],
                                 "run": record["run"], "cache": record.get("cache"), "done": self.counted - 1,
                                 "total": self.total, "record": record})

    def _drain(self) -> int:
        # A non-blocking batch: a timed-out blocking get would log an error on the scheduler.
        items = self.queue.get(batch=True)
        for item in items:
            self._take(item)
        return len(items)

    def _beat(self) -> None:
        """Move the heartbeat; when every checked worker is gone (a nanny's restart gives a new
        address), check the workers there are now and send the cells again (the runs the client
        already has are skipped)."""
        if time.monotonic() - self.last_beat <= HEARTBEAT_S:
            return
        self.beat += 1
        self.heartbeat.set(self.beat)
        self.last_beat = time.monotonic()
        alive = set(self.client.scheduler_info(n_workers=-1)["workers"])
        if alive & set(self.workers):
            return
        self.sweep.print("cluster: every checked worker left; checking the workers there are now", flush=True)
        self.workers = self.sweep._usable_workers_within(WORKERS_WAIT_S)
        for future, cell in list(self.futures.items()):
            future.cancel()
            del self.futures[future]
            cell = self._with_records(cell)
            self.by_key[cell.key] = cell
            self.futures[self._submit(cell)] = cell

    def _settle(self, future) -> None:
        """A cell's future has ended: done, refused (said so), or failed (its missing runs failed)."""
        from distributed.scheduler import KilledWorker

        cell = self.futures.pop(future)
        self._drain()
        if future.status == "finished":
            return
        err = future.exception()
        if isinstance(err, WorkerRefused):
            self.unfinished[cell.key] = str(err)
            return
        if isinstance(err, KilledWorker):
            import dask

            tries = dask.config.get("distributed.scheduler.allowed-failures")
            reason = (f"cell {cell.key}: its worker died {tries + 1} times (Dask's "
                      f"distributed.scheduler.allowed-failures = {tries})")
        else:
            reason = f"cell {cell.key} failed on the cluster: {type(err).__name__}: {err}"
        for task in self._owed(cell):
            if task.key not in self.seen:
                self._take({"cell": cell.key, "record": unmeasured_record(task, "failed", reason)})

    def until_done(self) -> dict[str, str]:
        try:
            while self.futures:
                if not self._drain():
                    time.sleep(0.5)
                self._beat()
                for future in [f for f in self.futures if f.done()]:
                    self._settle(future)
            self._drain()
        finally:
            for future in self.futures:
                future.cancel()
        return self.unfinished
