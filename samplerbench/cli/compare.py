"""Command line of ``scripts/compare.py``."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import models
import samplers
from samplerbench import environment
from samplerbench.store import records as record_files
from samplerbench.sweep import cluster
from samplerbench.views import markdown, report
from samplerbench.fields import FLOOR, UNMEASURED, record_kind
from samplerbench.sweep.orchestrator import (
    BOTH, CACHE_MODES, RecordSink, SweepConfig, measure_sweep, plan, probe_availability, sweep_default, sweep_header,
)
from samplerbench.analysis.statistics import summarize
from samplerbench.store.database import DEFAULT_DB, ResultStore, StoreError, run_key
from samplerbench.time_to_ess import ess_targets_of

# Flag -> SweepConfig field; each default is SweepConfig's own (orchestrator.sweep_default), in
# the help too. Flags default to None in argparse so that --resume can tell the flags a user
# typed (which must match the stored sweep) from the ones left out.
CONFIG_FLAGS = {
    "n": "ns", "runs": "runs", "samplers": "samplers", "models": "models", "chains": "chains", "tune": "tune",
    "draws": "draws", "target_accept": "target_accept", "max_treedepth": "max_treedepth", "cache": "cache",
    "timeout": "timeout_s", "gradient_floor": "gradient_floor", "ess_targets": "ess_targets", "python": "python",
}


def _default_text(flag: str) -> str:
    """A flag's default as its help prints it."""
    value = sweep_default(CONFIG_FLAGS[flag])
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return " ".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


DESCRIPTION = """\
Time MCMC sampler backends on the same model and data, compilation included.
Every run happens in a fresh Python process; the table reports the minimum and the median
over --runs runs of: import, compile, sampling, end-to-end and whole-process seconds.
"""

EPILOG = """\
examples:
  python scripts/compare.py --n 2000                     # the reference comparison
  python scripts/compare.py --samplers pystan numpyro --runs 3 --cache warm
  python scripts/compare.py --n 200 --tune 200 --draws 200 --runs 1   # a quick look
  python scripts/compare.py --list                       # what can run here, and why not
  python scripts/compare.py --n 100 1000 10000 --runs 3  # a data-size sweep, with plots
  python scripts/compare.py --resume                     # finish the last interrupted sweep
  python scripts/compare.py --python ../old-env/bin/python --samplers numpyro   # other library versions
  python scripts/report.py                               # rebuild the last sweep's report
  python scripts/compare.py --from-records reports/X.runs.jsonl     # rebuild from a JSON-lines file

exit codes: 0 done (failed or skipped backends are reported in the table), 2 bad arguments,
130 interrupted (every finished run is in the store: run again with --resume).
"""


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number > 0, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def probability(text: str) -> float:
    value = positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="compare.py", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--n", type=positive_int, nargs="+", default=None, metavar="N",
                   help="number of data points; several sizes make a data-size sweep whose report "
                   f"and plots show how each backend grows with n (default {_default_text('n')})")
    p.add_argument("--runs", type=positive_int, default=None,
                   help=f"timed runs per (model, n, backend), each in a fresh process (default {_default_text('runs')})")
    p.add_argument("--samplers", nargs="+", default=None, metavar="NAME",
                   help=f"backends to run, or 'all' (default). Valid: {', '.join(samplers.names())}")
    p.add_argument("--models", nargs="+", default=None, metavar="NAME",
                   help="models to run, or 'all': names of models/ (" + ", ".join(models.names())
                   + "), paths of model folders (anywhere; one or more of model.stan, pymc_model.py, "
                   "numpyro_model.py, with data.json, a CSV named in info.json, or data.py), or one model "
                   "file (a .stan file, or a .py file with a PyMC build(data) or a NumPyro model(data)) with "
                   "--data. Each backend runs the models written in its language; for the others its row "
                   f"says 'not applicable' (default {_default_text('models')})")
    p.add_argument("--data", type=Path, default=None, metavar="JSON",
                   help="the data of a model given as one file (--models path/to/model.stan --data "
                   "path/to/data.json), in Stan's JSON data format (what cmdstanpy writes); the model file "
                   "and its data are copied into a folder under the --db folder's models/")
    p.add_argument("--chains", type=positive_int, default=None, help=f"chains per run (default {_default_text('chains')})")
    p.add_argument("--tune", type=positive_int, default=None,
                   help=f"warmup (tuning) iterations per chain (default {_default_text('tune')})")
    p.add_argument("--draws", type=positive_int, default=None,
                   help=f"kept draws per chain (default {_default_text('draws')})")
    p.add_argument("--target-accept", type=probability, default=None,
                   help=f"target acceptance rate of step-size adaptation (default {_default_text('target_accept')})")
    p.add_argument("--max-treedepth", type=positive_int, default=None,
                   help=f"maximum NUTS tree depth (default {_default_text('max_treedepth')})")
    p.add_argument("--cache", choices=(*CACHE_MODES, BOTH), default=None,
                   help="cold: every run starts with empty compile caches (first run of a new "
                   "model); warm: an untimed priming run fills the caches first (re-running an "
                   "unchanged model); both: cold and warm runs interleaved in one sweep, so one "
                   f"report answers for a first run and a re-run. Default {_default_text('cache')}")
    p.add_argument("--ess-targets", type=positive_int, nargs="+", default=None, metavar="ESS",
                   help="bulk ESS targets of the time-to-ESS columns, verdict and break-even plot: "
                   "seconds from process start until the slowest parameter has that ESS "
                   f"(default {_default_text('ess_targets')})")
    p.add_argument("--timeout", type=positive_float, default=None, metavar="SECONDS",
                   help="wall-clock limit per run; a run past it is killed and recorded as "
                   f"failed (default {_default_text('timeout')})")
    p.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR",
                   help="report directory: <stem>.md (embeds the plots), <stem>-*.png, <stem>.csv "
                   "(aggregated table), <stem>.env.json and the sweep's run records as "
                   "<stem>.runs.jsonl (default reports/)")
    p.add_argument("--db", type=Path, default=DEFAULT_DB, metavar="PATH",
                   help="SQLite results store; every run record is committed to it the moment the "
                   f"run finishes, with the sweep's environment (default {DEFAULT_DB})")
    p.add_argument("--resume", nargs="?", const="latest", default=None, metavar="SWEEP",
                   help="finish an interrupted sweep from the store: re-run only the runs that "
                   "have no record, with the sweep's stored settings. SWEEP is its id, a unique id prefix, "
                   "its report name or 'latest' (default: the most recent unfinished sweep)")
    p.add_argument("--name", default=None, metavar="STEM",
                   help="file stem of the report (default: compare-n<N>-<cache>-<sweep id>)")
    p.add_argument("--json", type=Path, default=None, metavar="PATH",
                   help="also append every run record to PATH as JSON lines")
    p.add_argument("--gradient-floor", action=argparse.BooleanOptionalAction, default=None,
                   help="measure the gradient floor per model and n, for the '× floor' column: the "
                   "bare compiled value-and-gradient of the log density in every language the model "
                   "has where an in-process call exists (JAX jit of the NumPyro model, PyTensor's "
                   "compiled dlogp of the PyMC model), timed in a compiled loop; the fastest is the "
                   f"floor (default {_default_text('gradient_floor')})")
    p.add_argument("--python", default=None, metavar="PATH",
                   help="run the workers with this Python interpreter, e.g. another virtual environment "
                   "with other library versions (the orchestrator stays in its own); each record and "
                   "the sweep's environment carry the versions the workers really had. Backends whose "
                   "libraries that environment lacks are skipped (default: this interpreter)")
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="run the sweep on a Dask cluster: a scheduler address (tcp://HOST:8786; its "
                   "workers started with --nthreads 1 --resources bench=1) or local:K for a LocalCluster "
                   "of K single-threaded worker processes on this machine. Each worker measures one "
                   "(model, n) cell at a time, every backend and run of it; this process keeps the store "
                   "(default: every run here, one after another, without Dask)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the plan (cells, measurements) and its estimated wall time on 1 machine "
                   "and on the --cluster's workers, from the runs already in --db, and exit without "
                   "measuring anything")
    p.add_argument("--list", action="store_true",
                   help="list models and samplers, with whether each backend can run here (with "
                   "--python: in that environment), and exit")
    p.add_argument("--from-records", type=Path, default=None, metavar="PATH",
                   help="rebuild the report from a saved .runs.jsonl file without running anything")
    return p


def _resolve(requested: list[str], valid: list[str], kind: str, parser) -> list[str]:
    if requested == ["all"]:
        return list(valid)
    chosen = []
    for item in requested:
        for name in item.split(","):
            name = name.strip()
            if not name:
                continue
            if name not in valid:
                parser.error(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(valid)} (or 'all')")
            if name not in chosen:
                chosen.append(name)
    if not chosen:
        parser.error(f"no {kind} given; valid {kind}s: {', '.join(valid)} (or 'all')")
    return chosen


def _resolve_models(requested: list[str], data: Path | None, staging: Path, parser) -> list[str]:
    """Model names, model folders and single model files (with --data), as the workers will
    find them: names of models/, absolute folder paths. A model file is copied with its data into
    a folder of its own under ``staging``. A model given by path has its files checked here,
    before anything is measured (stanc's errors, missing functions, data that do not fit)."""
    valid = models.names()
    if requested == ["all"]:
        if data:
            parser.error("--data goes with one model file (--models path/to/model.stan --data data.json), not 'all'")
        return valid
    items = [name.strip() for item in requested for name in item.split(",") if name.strip()]
    if not items:
        parser.error(f"no model given; valid models: {', '.join(valid)} (or 'all', or a path)")
    files = [name for name in items if name not in valid and Path(name).is_file()]
    if data and len(files) != 1:
        parser.error(f"--data {data}: give exactly one model file with it (--models path/to/model.stan --data "
                     f"{data}); a model folder keeps its data in it (data.json, a CSV or data.py)")
    chosen = []
    for name in items:
        if name in valid:
            if name not in chosen:
                chosen.append(name)
            continue
        path, originals = Path(name), {}
        try:
            if path.is_file():
                path = models.stage_file(path, data, staging)
                print(f"model file {name}{f' with --data {data}' if data else ''}: copied into {path} "
                      "(the runs read that folder)", flush=True)
            elif not models.is_model_folder(path):
                parser.error(f"unknown model {name!r}; valid models: {', '.join(valid)} (or 'all'), or the path of "
                             f"a model folder (one with {', '.join(models.LANGUAGE_FILES.values())}) or of a model file")
            spec = models.load_folder(path)
            # Problems of a copied model file name the user's files, not the copies.
            originals = {str(path / copy): original for copy, original in spec.copied_from().items()
                         if copy in os.listdir(path)}
            problems = models.file_problems(spec)
        except models.ModelFileError as err:
            problems = [str(err)]
        for copy, original in originals.items():
            problems = [problem.replace(copy, original) for problem in problems]
        if problems:
            parser.error(f"model {name}: fix these before timing it:\n  - " + "\n  - ".join(problems))
        folder = str(spec.folder)
        if folder not in chosen:
            chosen.append(folder)
    return chosen


def print_list(python: str | None = None) -> int:
    availability = probe_availability(samplers.names(), python=python)
    print("models:")
    for name, spec in models.discover().items():
        print(f"  {name:20s} languages: {', '.join(spec.languages)}; parameters: {', '.join(spec.parameters)}; "
              f"--n: {spec.n_meaning}")
    print(f"samplers (in the environment of {python}: install there with {python} -m pip install ...):"
          if python else "samplers:")
    for name in samplers.names():
        reason = availability.get(name)
        language = f"runs {samplers.get(name).language}"
        print(f"  {name:15s} {language:13s} {'available' if not reason else 'NOT available: ' + reason}")
    return 0


def _describe(record: dict) -> str:
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


def _config_from_args(args, parser) -> SweepConfig:
    values = {field: getattr(args, flag) if getattr(args, flag) is not None else sweep_default(field)
              for flag, field in CONFIG_FLAGS.items()}
    values["samplers"] = _resolve(values["samplers"], samplers.names(), "sampler", parser)
    values["models"] = _resolve_models(values["models"], getattr(args, "data", None),
                                       Path(getattr(args, "db", DEFAULT_DB)).parent / "models", parser)
    if values["python"] is not None:
        values["python"] = worker_interpreter(values["python"], parser)
    return SweepConfig(**values)


def worker_interpreter(text: str, parser) -> str:
    """`--python`: an absolute path to an interpreter (a bare name is looked up on PATH); not
    resolved through symbolic links, since a virtual environment's python is one."""
    found = text if os.sep in text else shutil.which(text)
    if not found or not Path(found).is_file():
        parser.error(f"--python {text}: no such interpreter (give the path to a python executable, e.g. "
                     "../old-env/bin/python)")
    if not os.access(found, os.X_OK):
        parser.error(f"--python {text}: not executable")
    return str(Path(found).absolute())


def _resumed_config(args, parser, stored: dict, sweep_id: str) -> SweepConfig:
    """The stored configuration; flags typed on this command line must agree with it."""
    fields = {f for f in SweepConfig.__dataclass_fields__}
    cfg = SweepConfig(**{k: v for k, v in stored.items() if k in fields})
    typed = {flag: getattr(args, flag) for flag in CONFIG_FLAGS if getattr(args, flag) is not None}
    if typed:
        asked = _config_from_args(args, parser)
        clashes = [f"--{flag.replace('_', '-')} {getattr(asked, CONFIG_FLAGS[flag])} "
                   f"(stored: {getattr(cfg, CONFIG_FLAGS[flag])})"
                   for flag in typed if getattr(asked, CONFIG_FLAGS[flag]) != getattr(cfg, CONFIG_FLAGS[flag])]
        if clashes:
            parser.error(f"--resume: sweep {sweep_id} was started with other settings: {'; '.join(clashes)}. "
                         "Resume with the same flags (or none), or start a new sweep without --resume")
    return cfg


def _find_resumable(store: ResultStore, spec: str):
    """The named sweep, or for 'latest' the most recent unfinished one (None: all finished)."""
    if spec != "latest":
        return store.sweep(spec)
    unfinished = [s for s in store.sweeps() if not s.complete]
    if not unfinished:
        return None
    return unfinished[-1]


def _open_sweep(args, parser):
    """Create the sweep in the store (or find the one to resume) and open a session on it.

    Returns (store, config, header, report stem, keys already measured, session number), or
    None when --resume finds nothing left to do.
    """
    # A new sweep's settings are checked before the store is touched: bad input leaves no trace.
    cfg = None if args.resume else _config_from_args(args, parser)
    env_now = None if args.resume else _worker_environment(cfg, parser)
    try:
        store = ResultStore(args.db)
        store.lock_for_sweep()
        if args.resume:
            found = _find_resumable(store, args.resume)
            if found is None:
                print(f"nothing to resume: every sweep in {args.db} is complete "
                      "(python scripts/report.py --list shows them)")
                return None
            cfg = _resumed_config(args, parser, found.config, found.sweep_id)
            env_now = _worker_environment(cfg, parser)
            header = store.header(found.sweep_id)
            stem = args.name or found.name
            done = store.done_keys(found.sweep_id)
            changed = environment.differences(header["environment"], env_now)
            if changed:
                print(f"warning: the environment changed since sweep {found.sweep_id} started "
                      f"({'; '.join(changed)}); the report will say so", flush=True)
        else:
            header = sweep_header(cfg, env_now)
            stem = args.name or f"compare-n{'-'.join(map(str, cfg.ns))}-{cfg.cache}-{header['sweep_id']}"
            done = set()
            store.create_sweep(header, stem, len(plan(cfg)))
        session = store.start_session(header["sweep_id"], env_now)
    except StoreError as err:
        parser.error(f"--db: {err}")
    return store, cfg, header, stem, done, session


def _worker_environment(cfg: SweepConfig, parser) -> dict:
    """The environment the workers will run in (with --python, that interpreter's), recorded as
    the sweep's; an interpreter that cannot run workers is refused before anything is measured."""
    try:
        return environment.collect_for(cfg.python)
    except environment.InterpreterError as err:
        parser.error(f"--python: {err}")


def _writable(path: Path, what: str, parser, is_dir: bool = False) -> None:
    """Refuse, before anything is measured, a path that cannot be created or written: one line
    naming the flag, the path and the reason, exit code 2."""
    folder = path if is_dir else path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if is_dir:
            probe = folder / f".samplerbench-write-test-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
        else:
            with open(path, "a"):
                pass
    except OSError as err:
        parser.error(f"{what} {path}: cannot write there ({err.strerror or err})")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        return print_list(worker_interpreter(args.python, parser) if args.python else None)

    if args.from_records:
        if not args.from_records.exists():
            parser.error(f"--from-records: no such file {args.from_records}")
        records, header = record_files.load_records_file(args.from_records)
        stem = args.name or args.from_records.name.removesuffix(".runs.jsonl")
        same_file = (args.out / f"{stem}.runs.jsonl").resolve() == args.from_records.resolve()
        summary = summarize(records, samplers.names(), ess_targets_of(header))
        paths = report.write_report(summary, header, args.out, stem, export_records=not same_file)
        print(markdown.terminal_table(summary))
        print(f"\nreport: {paths['markdown']}")
        return 0

    if args.cluster:
        if args.python:
            parser.error("--python and --cluster: start the Dask workers with that interpreter instead "
                         "(its environment is checked against this one's)")
        try:
            cluster.parse_cluster(args.cluster)
        except ValueError as err:
            parser.error(f"--cluster: {err}")
    if args.dry_run:
        return dry_run(args, parser)

    _writable(args.out, "--out", parser, is_dir=True)
    if args.json:
        _writable(args.json, "--json", parser)
    _writable(args.db, "--db", parser)
    opened = _open_sweep(args, parser)
    if opened is None:
        return 0
    store, cfg, header, stem, done, session = opened
    sweep_id = header["sweep_id"]
    sink = RecordSink(store, header, session, [args.json] if args.json else [])
    planned = plan(cfg)
    todo_tasks = [task for task in planned if task.key not in done]
    todo = len(todo_tasks)
    floors = len([t for t in planned if t.kind == FLOOR])
    print(f"samplerbench: sweep {sweep_id}: {len(planned)} measurements ({len(planned) - floors} runs"
          f"{f' + {floors} gradient floor' + ('s' if floors != 1 else '') if floors else ''}; "
          f"{', '.join(cfg.samplers)}; n = {', '.join(map(str, cfg.ns))}; "
          f"{cfg.runs} run{'s' if cfg.runs != 1 else ''} each; cache {cfg.cache}); store {args.db}"
          + (f"\nresuming: {len(planned) - todo} already measured, {todo} to go" if args.resume else ""),
          flush=True)

    started = time.perf_counter()

    def on_event(kind: str, info: dict) -> None:
        elapsed = time.perf_counter() - started
        if kind == "start":
            label = ("priming (untimed)" if info.get("priming") else "gradient floor" if info.get("floor")
                     else f"run {info['run']}/{cfg.runs}")
            if len(cfg.cache_modes) > 1 and not info.get("floor"):
                label = f"{info['cache']} {label}"
            where = f" on {info['host']}" if info.get("host") else ""
            print(f"[{info['done'] + 1:>3}/{info['total']}] {elapsed:6.0f}s  {info['model']} n={info['n']} "
                  f"{info['sampler']} {label}{where} ...", flush=True)
        elif kind == "record":
            rec = info["record"]
            if rec["status"] in UNMEASURED and (rec["run"] != 1 or rec.get("cache", cfg.cache_modes[0]) != cfg.cache_modes[0]):
                return  # one line per skipped or not-applicable backend is enough
            # A skipped measurement has no "start" line: number it here, so the count runs on.
            prefix = (f"[{info['done'] + 1:>3}/{info['total']}] {elapsed:6.0f}s  " if rec["status"] in UNMEASURED
                      else " " * 10)
            # On a cluster, cells finish interleaved: each line names its cell.
            label = f"{rec['model']} n={rec['n']} {rec['sampler']}" if rec.get("host") else rec["sampler"]
            print(f"{prefix}{label}: {_describe(rec)}", flush=True)

    def stop_on_sigterm(signum, frame):
        raise KeyboardInterrupt  # `kill` and `timeout` stop the sweep as cleanly as Ctrl-C

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    # Python leaves SIGINT ignored when it started ignored (`cmd &`, nohup): Ctrl-C's signal,
    # sent by `kill -INT`, must stop a background sweep as cleanly as a foreground one.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    interrupted, unfinished = False, {}
    try:
        if args.cluster:
            unfinished = _measure_on_cluster(args, cfg, sweep_id, todo_tasks, sink, on_event,
                                             store.records(sweep_id))
        else:
            availability = probe_availability(cfg.samplers, python=cfg.python)
            measure_sweep(cfg, sink, availability, log_dir=args.out / "logs", on_event=on_event, done=done)
    except KeyboardInterrupt:
        interrupted = True
    total_s = time.perf_counter() - started
    records = store.records(sweep_id)
    complete = {task.key for task in planned} <= {run_key(r) for r in records if not r.get("priming")}
    store.finish_session(sweep_id, session, complete=complete, total_s=total_s)
    header = store.header(sweep_id)
    store.close()
    for why in unfinished.values():
        print(f"not measured: {why}", flush=True)
    if unfinished:
        print(f"fix the workers, then finish the sweep with: python scripts/compare.py --db {args.db} "
              f"--cluster {args.cluster} --resume {sweep_id}", flush=True)
    if interrupted:
        print(f"\ninterrupted: {len(sink.records)} runs finished in this session; every finished run "
              f"is in {args.db}.\nfinish the sweep with: python scripts/compare.py --db {args.db} "
              f"--resume {sweep_id}", flush=True)
        if not records:
            return 130
    summary = summarize(records, samplers.names(), ess_targets_of(header))
    paths = report.write_report(summary, header, args.out, stem)
    print()
    print(markdown.terminal_table(summary))
    print(f"\ntotal wall time: {total_s:.0f} s ({total_s / 60:.1f} min)")
    print(f"report: {paths['markdown']}  table: {paths['csv']}  records: {paths['records']}  store: {args.db}")
    return 130 if interrupted else 1 if unfinished else 0


def _measure_on_cluster(args, cfg, sweep_id, todo, sink, on_event, stored) -> dict[str, str]:
    """The sweep's remaining runs on --cluster; returns what could not be measured, with why."""
    try:
        with cluster.ClusterSweep(args.cluster, cfg, environment.collect(), sweep_id) as remote:
            return remote.run(todo, sink, on_event, stored)
    except cluster.ClusterUnusable as err:
        return {"all": str(err)}


def dry_run(args, parser) -> int:
    """Print the plan and its estimated wall time; measure nothing, write nothing."""
    stored, done = [], set()
    if args.db.exists():
        with ResultStore(args.db, create=False) as store:
            if args.resume:
                found = _find_resumable(store, args.resume)
                if found is None:
                    print(f"nothing to resume: every sweep in {args.db} is complete")
                    return 0
                cfg = _resumed_config(args, parser, found.config, found.sweep_id)
                done = store.done_keys(found.sweep_id)
            for info in store.sweeps():
                stored += store.records(info.sweep_id)
    if args.resume and not args.db.exists():
        parser.error(f"--resume: no store at {args.db}")
    if not args.resume:
        cfg = _config_from_args(args, parser)
    todo = [task for task in plan(cfg) if task.key not in done]
    workers = 1
    if args.cluster:
        kind, target = cluster.parse_cluster(args.cluster)
        workers = target if kind == "local" else cluster.count_workers(target)
    rows, one_s, many_s, unknown = cluster.estimate_plan(todo, stored, workers)
    print(f"plan: {len(todo)} measurements in {len(rows)} cells ((model, n): every backend and run of it, "
          f"on one machine){' still to measure' if args.resume else ''}; estimates from {len(stored)} "
          f"stored records in {args.db}")
    import pandas as pd

    print(pd.DataFrame(rows).rename(columns={"estimated_s": "estimated s", "without_estimate": "without an estimate"})
          .to_markdown(index=False, floatfmt=".0f"))
    print(f"\nestimated wall time: {one_s / 60:.1f} min on 1 machine, {many_s / 60:.1f} min on {workers} "
          f"worker{'s' if workers != 1 else ''} (one cell per worker at a time)")
    if unknown:
        print(f"no stored run to estimate {len(unknown)} of them from (not counted): "
              + ", ".join(unknown[:8]) + (", ..." if len(unknown) > 8 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
