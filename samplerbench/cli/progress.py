"""What a sweep prints while it runs: the plan in one line, a line when a run starts, its
numbers (or its failure) when it ends."""

from __future__ import annotations

import time

from samplerbench.analysis.race import MIN_RUNS
from samplerbench.fields import FLOOR, UNMEASURED
from samplerbench.run_record import record_kind


def banner(sweep_id: str, planned: list, todo: int, cfg, db, resuming: bool) -> str:
    floors = len([t for t in planned if t.kind == FLOOR])
    if cfg.adaptive:
        budget = f", within {cfg.budget_min:g} min" if cfg.budget_min else ""
        runs = (f"adaptive runs: {MIN_RUNS} rounds each, then only the backends that can still matter for "
                f"the verdict, at most {cfg.max_runs}{budget}")
        count = f"at most {len(planned)} measurements ({len(planned) - floors} runs"
        resumed = f"\nresuming the race: {todo} measurements owed in this round" if resuming else ""
    else:
        runs = f"{cfg.runs} run{'s' if cfg.runs != 1 else ''} each"
        count = f"{len(planned)} measurements ({len(planned) - floors} runs"
        resumed = f"\nresuming: {len(planned) - todo} already measured, {todo} to go" if resuming else ""
    return (f"samplerbench: sweep {sweep_id}: {count}"
            f"{f' + {floors} gradient floor' + ('s' if floors != 1 else '') if floors else ''}; "
            f"{', '.join(cfg.samplers)}; n = {', '.join(map(str, cfg.ns))}; "
            f"{runs}; cache {cfg.cache}); store {db}" + resumed)


class Progress:
    """The sweep's ``on_event``: one line per started run, one per finished record."""

    def __init__(self, cfg, started: float | None = None):
        self.cfg = cfg
        self.started = time.perf_counter() if started is None else started

    def __call__(self, kind: str, info: dict) -> None:
        elapsed = time.perf_counter() - self.started
        if kind == "start":
            print(self._start_line(info, elapsed), flush=True)
        elif kind == "record":
            line = self._record_line(info, elapsed)
            if line:
                print(line, flush=True)
        elif kind == "round":
            print(round_lines(info, elapsed), flush=True)

    def _start_line(self, info: dict, elapsed: float) -> str:
        cfg = self.cfg
        label = ("priming (untimed)" if info.get("priming") else "gradient floor" if info.get("floor")
                 else f"run {info['run']}" if cfg.adaptive else f"run {info['run']}/{cfg.runs}")
        if len(cfg.cache_modes) > 1 and not info.get("floor"):
            label = f"{info['cache']} {label}"
        where = f" on {info['host']}" if info.get("host") else ""
        return (f"{_count(info)} {elapsed:6.0f}s  {info['model']} n={info['n']} "
                f"{info['sampler']} {label}{where} ...")

    def _record_line(self, info: dict, elapsed: float) -> str | None:
        rec, first_mode = info["record"], self.cfg.cache_modes[0]
        if rec["status"] in UNMEASURED and (rec["run"] != 1 or rec.get("cache", first_mode) != first_mode):
            return None  # one line per skipped or not-applicable backend is enough
        # A skipped measurement has no "start" line: number it here, so the count runs on.
        prefix = (f"{_count(info)} {elapsed:6.0f}s  " if rec["status"] in UNMEASURED
                  else " " * 10)
        # On a cluster, cells finish interleaved: each line names its cell.
        label = f"{rec['model']} n={rec['n']} {rec['sampler']}" if rec.get("host") else rec["sampler"]
        return f"{prefix}{label}: {describe(rec)}"


def _count(info: dict) -> str:
    """[k/total], or [k] in a race, whose total is not known in advance."""
    return f"[{info['done'] + 1:>3}/{info['total']}]" if info.get("total") else f"[{info['done'] + 1:>3}]"


def _minutes(seconds: float | None) -> str:
    return "unknown" if seconds is None else f"{seconds / 60:.1f} min"


def round_lines(info: dict, elapsed: float) -> str:
    """After a round of a race: who is still in it, who left and why, the time left."""
    race = info["race"]
    lines = [f"{'':10s}race {race.model} n={race.n}: round {race.round} done at {elapsed / 60:.1f} min"]
    for (name, cache), (after, why) in race.left.items():
        if after == race.round and why != "no ok run":
            lines.append(f"{'':12s}{name} ({cache}) leaves the race: {why}")
    if race.over:
        lines.append(f"{'':12s}race over: {race.over}")
    else:
        measured = {r["sampler"] for r in info.get("records", []) if r.get("status") not in UNMEASURED
                    and (r.get("model"), r.get("n")) == (race.model, race.n)}  # skipped ones owe nothing
        still = "; ".join(f"{cache}: {', '.join(n for n in names if n in measured or not measured)}"
                          for cache, names in race.in_race.items() if names)
        lines.append(f"{'':12s}still in the race: {still}; next round about {_minutes(info.get('next_s'))}, "
                     f"at most {_minutes(info.get('most_s'))} more to --max-runs {race.max_runs}")
    return "\n".join(lines)


def describe(record: dict) -> str:
    status = record.get("status")
    if status == "ok" and record_kind(record) == FLOOR:
        timed = ", ".join(f"{language} {floor['us_per_grad']:.2f} µs"
                          for language, floor in (record.get("floors") or {}).items() if floor.get("us_per_grad"))
        return (f"ok  {record['floor_us_per_grad']:.2f} µs per compiled value-and-gradient "
                f"({record.get('floor_language', 'jax')}; {timed or 'jax'})")
    if status == "ok":
        return (f"ok  sampling {record['sampling_s']:.2f} s, compile {record['compile_s']:.2f} s, "
                f"end-to-end {record['end_to_end_s']:.2f} s, process {record['process_s']:.2f} s")
    return f"{status}: {record.get('reason', '')}"
