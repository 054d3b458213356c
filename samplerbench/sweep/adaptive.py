"""Adaptive runs (``--runs auto``): each (model, n) cell is a race of rounds. Round r measures the
r-th run, cold and warm interleaved as a fixed sweep does, of every backend still in the race;
after it, samplerbench.analysis.race_state decides who runs the next round. The cell's records are
the race's only memory, so ``--resume`` continues a race from its stored runs and a cluster cell
races within itself."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from samplerbench.analysis.race import MIN_RUNS
from samplerbench.analysis.race_state import CellRace
from samplerbench.fields import FLOOR, UNMEASURED
from samplerbench.run_record import record_kind, run_key
from samplerbench.sweep.config import SweepConfig
from samplerbench.sweep.orchestrator import PlannedRun, scratch_state


def new_race(cfg: SweepConfig, model: str, n: int) -> CellRace:
    return CellRace(model, n, list(cfg.samplers), cfg.cache_modes, cfg.max_runs, tuple(cfg.ess_targets))


def races_of(cfg: SweepConfig, records: list[dict]) -> dict[tuple[str, int], CellRace]:
    """Every cell's race, advanced through ``records`` (for the report and for completeness)."""
    races = {}
    for model in cfg.models:
        for n in cfg.ns:
            race = new_race(cfg, model, n)
            race.advance(records)
            races[(model, n)] = race
    return races


def owed_tasks(cfg: SweepConfig, records: list[dict], races: dict | None = None) -> list[PlannedRun]:
    """What an adaptive sweep still owes after ``records``: floors not measured, and each
    unfinished race's next round (empty: the sweep is complete)."""
    keys = {run_key(r) for r in records if not r.get("priming")}
    races = races or races_of(cfg, records)
    owed = []
    for (model, n), race in races.items():
        floor = PlannedRun(model, n, FLOOR, 1, FLOOR)
        if cfg.gradient_floor and floor.key not in keys:
            owed.append(floor)
        owed += [PlannedRun(model, n, name, run, cache=cache) for name, cache, run in race.owed(records)]
    return owed


def round_estimate_s(records: list[dict], model: str, n: int, owed: list[tuple[str, str, int]]) -> float | None:
    """Seconds the owed runs should take: each (backend, cache)'s median whole-process seconds
    in this cell so far (None when one has no run yet)."""
    seconds = {}
    for r in records:
        if (r.get("model"), int(r.get("n", -1))) == (model, n) and record_kind(r) == "run":
            if r.get("process_s") or r.get("status") in UNMEASURED:  # a skipped run costs nothing
                seconds.setdefault((r["sampler"], r.get("cache")), []).append(float(r.get("process_s") or 0.0))
    try:
        return sum(statistics.median(seconds[(name, cache)]) for name, cache, _ in owed)
    except KeyError:
        return None


class _Racing:
    """One adaptive sweep here: every cell's race in turn, on one measuring state."""

    def __init__(self, cfg: SweepConfig, state, on_event, records: list[dict]):
        self.cfg, self.state, self.on_event, self.records = cfg, state, on_event, records
        self.started = time.perf_counter()
        self.index = 0

    def _measure(self, task: PlannedRun) -> None:
        self.records.append(self.state.measure(task, self.index, None))
        self.index += 1

    def cell(self, model: str, n: int) -> None:
        floor = PlannedRun(model, n, FLOOR, 1, FLOOR)
        if self.cfg.gradient_floor and floor.key not in {run_key(r) for r in self.records}:
            self._measure(floor)
        race = new_race(self.cfg, model, n)
        while owed := race.owed(self.records):
            round_ = owed[0][2]
            estimate = round_estimate_s(self.records, model, n, owed)
            if self._over_budget(round_, estimate):
                race.over = race.over or (f"--budget {self.cfg.budget_min:g} min: round {round_} would have ended "
                                          f"after it (estimated {estimate:.0f} s more); --resume --budget MINUTES continues the race")
                self.on_event("round", {"race": race, "budget": True, "next_s": estimate})
                return
            for name, cache, run in owed:
                self._measure(PlannedRun(model, n, name, run, cache=cache))
            race.advance(self.records)
            next_s = self._next_estimate(race, model, n)
            most_s = None if next_s is None else next_s * (self.cfg.max_runs - race.round)  # all to --max-runs
            self.on_event("round", {"race": race, "next_s": next_s, "most_s": most_s, "records": self.records})

    def _over_budget(self, round_: int, estimate: float | None) -> bool:
        if self.cfg.budget_min is None or round_ <= MIN_RUNS:
            return False
        elapsed = time.perf_counter() - self.started
        return elapsed + (estimate or 0.0) > self.cfg.budget_min * 60

    def _next_estimate(self, race: CellRace, model: str, n: int) -> float | None:
        return round_estimate_s(self.records, model, n, race.owed(self.records)) if not race.over else 0.0


def measure_races(cfg: SweepConfig, sink, availability: dict, log_dir: Path | None, on_event,
                  stored: list[dict] = (), cells: list[tuple[str, int]] | None = None) -> list[dict]:
    """Race every (model, n) cell of ``cfg`` (or only ``cells``: a cluster worker's one) on this
    machine, continuing from ``stored`` records."""
    state = scratch_state(cfg, sink, availability, log_dir, on_event)
    racing = _Racing(cfg, state, on_event, [r for r in stored if not r.get("priming")])
    try:
        for model, n in cells or [(model, n) for model in cfg.models for n in cfg.ns]:
            racing.cell(model, n)
    finally:
        state.close()
    return sink.records
