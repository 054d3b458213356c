"""Command line of ``scripts/compare.py``: parsing and dispatch. The flags are ``cli.flags``, the
sweep's session ``cli.session``, the lines printed while it runs ``cli.progress``."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import models
import samplers
from samplerbench.analysis.race import verdict_alpha
from samplerbench import environment
from samplerbench.analysis.statistics import summarize
from samplerbench.cli.flags import build_parser
from samplerbench.cli.progress import Progress, banner
from samplerbench.cli.session import (
    config_from_args, find_resumable, open_sweep, resumed_config, worker_interpreter, writable,
)
from samplerbench.cli.signals import stop_cleanly_on_signals
from samplerbench.fields import KIND_MEANINGS
from samplerbench.run_record import run_key
from samplerbench.store.database import ResultStore
from samplerbench.sweep import cluster
from samplerbench.sweep.adaptive import owed_tasks, races_of
from samplerbench.sweep.orchestrator import measure_sweep, plan, RecordSink
from samplerbench.sweep.spawn import probe_availability
from samplerbench.time_to_ess import ess_targets_of
from samplerbench.views import markdown, report


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.posteriordb is not None:
        use_posteriordb(args.posteriordb, parser)
    if args.list:
        return print_list(worker_interpreter(args.python, parser) if args.python else None)
    if args.cluster:
        _check_cluster_flag(args, parser)
    if args.dry_run:
        return dry_run(args, parser)
    writable(args.out, "--out", parser, is_dir=True)
    if args.json:
        writable(args.json, "--json", parser)
    writable(args.db, "--db", parser)
    opened = open_sweep(args, parser)
    if opened is None:
        return 0
    return measure_and_report(args, *opened)


def _check_cluster_flag(args, parser) -> None:
    if args.python:
        parser.error("--python and --cluster: start the Dask workers with that interpreter instead "
                     "(its environment is checked against this one's)")
    try:
        cluster.parse_cluster(args.cluster)
    except ValueError as err:
        parser.error(f"--cluster: {err}")


def measure_and_report(args, store, cfg, header, stem, done, session) -> int:
    """Measure what the sweep still lacks, close the session, say what is left, write the report.
    Exit code 0; 1 when a cluster left runs unmeasured; 130 when interrupted."""
    sweep_id = header["sweep_id"]
    sink = RecordSink(store, header, session, [args.json] if args.json else [])
    stored = store.records(sweep_id)
    planned = plan(cfg)
    todo = owed_tasks(cfg, stored) if cfg.adaptive else [task for task in planned if task.key not in done]
    print(banner(sweep_id, planned, len(todo), cfg, args.db, bool(args.resume)), flush=True)
    if cfg.adaptive:  # how long the first rounds should take, from every run in the store (as --dry-run)
        _dry_run_race(cfg, [r for info in store.sweeps() for r in store.records(info.sweep_id)],
                      1, {run_key(r) for r in stored if not r.get("priming")})
    started = time.perf_counter()
    stop_cleanly_on_signals()
    interrupted, unfinished, progress = False, {}, Progress(cfg, started)
    try:
        if args.cluster:
            unfinished = _measure_on_cluster(args, cfg, sweep_id, todo, sink, progress, stored)
        else:
            availability = probe_availability(cfg.samplers, python=cfg.python)
            measure_sweep(cfg, sink, availability, log_dir=args.out / "logs", on_event=progress, done=done,
                          stored=stored)
    except KeyboardInterrupt:
        interrupted = True
    total_s = time.perf_counter() - started
    records = store.records(sweep_id)
    races = races_of(cfg, records) if cfg.adaptive else None  # replayed once: completeness and the report
    complete = (not owed_tasks(cfg, records, races) if cfg.adaptive
                else {task.key for task in planned} <= {run_key(r) for r in records if not r.get("priming")})
    store.finish_session(sweep_id, session, complete=complete, total_s=total_s)
    header = store.header(sweep_id)
    store.close()
    _say_what_is_left(args, sweep_id, len(sink.records), unfinished, interrupted)
    if interrupted and not records:
        return 130
    _write_report(records, header, args, stem, total_s, races)
    return 130 if interrupted else 1 if unfinished else 0


def _say_what_is_left(args, sweep_id: str, finished: int, unfinished: dict, interrupted: bool) -> None:
    for why in unfinished.values():
        print(f"not measured: {why}", flush=True)
    if unfinished:
        print(f"fix the workers, then finish the sweep with: python scripts/compare.py --db {args.db} "
              f"--cluster {args.cluster} --resume {sweep_id}", flush=True)
    if interrupted:
        print(f"\ninterrupted: {finished} runs finished in this session; every finished run "
              f"is in {args.db}.\nfinish the sweep with: python scripts/compare.py --db {args.db} "
              f"--resume {sweep_id}", flush=True)


def _write_report(records: list[dict], header: dict, args, stem: str, total_s: float, races: dict | None) -> None:
    summary = summarize(records, samplers.names(), ess_targets_of(header), verdict_alpha(header.get("config")))
    if races is not None:
        summary.verdicts["races"] = races  # the race this sweep just replayed (views.race_report.races_for)
    paths = report.write_report(summary, header, args.out, stem)
    print()
    print(markdown.terminal_table(summary))
    print(f"\ntotal wall time: {total_s:.0f} s ({total_s / 60:.1f} min)")
    print(f"report: {paths['markdown']}  table: {paths['csv']}  records: {paths['records']}  store: {args.db}")


def use_posteriordb(path: Path, parser) -> None:
    """--posteriordb PATH: checked, then set for this process and the workers it starts (they
    read a posterior's data and draws from it through the environment variable)."""
    from models import posteriordb

    try:
        os.environ[posteriordb.ENV] = str(posteriordb.root(path))
    except posteriordb.PosteriordbMissing as err:
        parser.error(f"--posteriordb {path}: {err}")


def print_list(python: str | None = None) -> int:
    availability = probe_availability(samplers.names(), python=python)
    print("models:")
    for name, spec in models.discover().items():
        print(f"  {name:20s} languages: {', '.join(spec.languages)}; parameters: {', '.join(spec.parameters)}; "
              f"--n: {spec.n_meaning}")
    print_posteriordb()
    print(f"kinds of method: {KIND_MEANINGS}")
    print(f"samplers (in the environment of {python}: install there with {python} -m pip install ...):"
          if python else "samplers:")
    for name in samplers.names():
        reason = availability.get(name)
        backend = samplers.get(name)
        language = f"runs {backend.language}"
        sweep = "" if backend.in_default_sweep else " (by name or --samplers all: not in the default sweep)"
        print(f"  {name:15s} {language:13s} {backend.kind:12s} "
              f"{'available' if not reason else 'NOT available: ' + reason}{sweep}")
    return 0


def print_posteriordb() -> None:
    """With a posteriordb folder set: its posteriors with gold draws, and what can run each."""
    from models import posteriordb

    if not os.environ.get(posteriordb.ENV):
        print(f"posteriordb: not set (--posteriordb PATH or ${posteriordb.ENV}: a clone of "
              "https://github.com/stan-dev/posteriordb); then --models pdb or pdb:<posterior>")
        return
    base, own = posteriordb.root(), posteriordb.own_versions()
    with_draws = posteriordb.with_reference(base)
    print(f"posteriordb at {base}: {len(with_draws)} of {len(posteriordb.names(base))} posteriors have gold "
          f"draws; {len(own)} have a version here (--models pdb)")
    for name in with_draws:
        if name in own:
            where = f"ours ({models.shown_path(own[name])}): {', '.join(models.load_folder(own[name]).languages)}"
        elif posteriordb.Posterior(name, base).stan_file is not None:
            where = "posteriordb's Stan program: stan"
        else:
            where = "none here (no version of ours; this posteriordb folder has no Stan program for it)"
        print(f"  pdb:{name:50s} {where}")


def _measure_on_cluster(args, cfg, sweep_id, todo, sink, on_event, stored) -> dict[str, str]:
    """The sweep's remaining runs on --cluster; returns what could not be measured, with why."""
    from samplerbench.sweep.cluster_client import ClusterSweep  # imports Dask: only with --cluster

    try:
        with ClusterSweep(args.cluster, cfg, environment.collect(), sweep_id) as remote:
            return remote.run(todo, sink, on_event, stored)
    except cluster.ClusterUnusable as err:
        return {"all": str(err)}


def dry_run(args, parser) -> int:
    """Print the plan and its estimated wall time; measure nothing, write nothing."""
    stored, done = [], set()
    if args.db.exists():
        with ResultStore(args.db, create=False) as store:
            if args.resume:
                found = find_resumable(store, args.resume)
                if found is None:
                    print(f"nothing to resume: every sweep in {args.db} is complete")
                    return 0
                cfg = resumed_config(args, parser, found.config, found.sweep_id)
                done = store.done_keys(found.sweep_id)
            for info in store.sweeps():
                stored += store.records(info.sweep_id)
    if args.resume and not args.db.exists():
        parser.error(f"--resume: no store at {args.db}")
    if not args.resume:
        cfg = config_from_args(args, parser)
    todo = [task for task in plan(cfg) if task.key not in done]
    workers = 1
    if args.cluster:
        kind, target = cluster.parse_cluster(args.cluster)
        workers = target if kind == "local" else cluster.count_workers(target)
    if cfg.adaptive:
        _dry_run_race(cfg, stored, workers, done)
    rows, one_s, many_s, unknown = cluster.estimate_plan(todo, stored, workers)
    print(f"plan: {len(todo)} measurements in {len(rows)} cells ((model, n): every backend and run of it, "
          f"on one machine){' still to measure' if args.resume else ''}; estimates from {len(stored)} "
          f"stored records in {args.db}")
    import pandas as pd

    print(pd.DataFrame(rows).rename(columns={"estimated_s": "estimated s", "without_estimate": "without an estimate"})
          .to_markdown(index=False, floatfmt=".0f"))
    print(f"\nestimated wall time{' if every backend ran to --max-runs' if cfg.adaptive else ''}: "
          f"{one_s / 60:.1f} min on 1 machine, {many_s / 60:.1f} min on {workers} "
          f"worker{'s' if workers != 1 else ''} (one cell per worker at a time)")
    if unknown:
        print(f"no stored run to estimate {len(unknown)} of them from (not counted): "
              + ", ".join(unknown[:8]) + (", ..." if len(unknown) > 8 else ""))
    return 0


def _dry_run_race(cfg, stored: list[dict], workers: int, done: set) -> None:
    """An adaptive sweep's plan: how long its first MIN_RUNS rounds (every backend) should take,
    before the estimate of the most it may run."""
    from dataclasses import replace

    from samplerbench.analysis.race import MIN_RUNS

    first = [task for task in plan(replace(cfg, runs=MIN_RUNS)) if task.key not in done]
    _, one_s, many_s, unknown = cluster.estimate_plan(first, stored, workers)
    about = (f"about {one_s / 60:.1f} min on 1 machine, {many_s / 60:.1f} min on {workers} "
             f"worker{'s' if workers != 1 else ''}" if stored else "no estimate (no stored run to estimate from)")
    if stored and unknown:
        about += f" ({len(unknown)} of them without a stored run, not counted)"
    print(f"adaptive runs: the first {MIN_RUNS} rounds (every backend) {about}; then only the backends that can "
          f"still matter for the verdict run on, to at most --max-runs {cfg.max_runs}"
          + (f", within --budget {cfg.budget_min:g} min" if cfg.budget_min else ""), flush=True)


if __name__ == "__main__":
    sys.exit(main())
