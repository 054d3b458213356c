"""A sweep's session, from the command line: its configuration (new, or the stored one of the
sweep to resume, which typed flags must match), the interpreter and environment of its workers,
the store it is created in, and the paths refused before anything is measured."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import models
import samplers
from samplerbench import environment
from samplerbench.analysis.race import AUTO
from samplerbench.cli.flags import CONFIG_FLAGS
from samplerbench.cli.model_args import resolve_models, resolve_names
from samplerbench.store.database import DEFAULT_DB, ResultStore, StoreError
from samplerbench.sweep.config import sweep_default, SweepConfig
from samplerbench.sweep.orchestrator import plan, sweep_header


def config_from_args(args, parser) -> SweepConfig:
    values = {field: getattr(args, flag) if getattr(args, flag) is not None else sweep_default(field)
              for flag, field in CONFIG_FLAGS.items()}
    values["samplers"] = resolve_names(values["samplers"], samplers.names(), "sampler", parser)
    values["models"] = resolve_models(values["models"], getattr(args, "data", None),
                                       Path(getattr(args, "db", DEFAULT_DB)).parent / "models", parser)
    if values["python"] is not None:
        values["python"] = worker_interpreter(values["python"], parser)
    if values["runs"] != AUTO:
        typed = [f"--{flag.replace('_', '-')}" for flag in ("max_runs", "budget") if getattr(args, flag, None) is not None]
        if typed:
            parser.error(f"{' and '.join(typed)}: only with adaptive runs: use --runs auto (the default), "
                         f"or drop {' and '.join(typed)} to keep --runs {values['runs']}")
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


def resumed_config(args, parser, stored: dict, sweep_id: str) -> SweepConfig:
    """The stored configuration; flags typed on this command line must agree with it."""
    fields = {f for f in SweepConfig.__dataclass_fields__}
    cfg = SweepConfig(**{k: v for k, v in stored.items() if k in fields})
    if getattr(args, "budget", None) is not None:
        if not cfg.adaptive:
            parser.error(f"--resume --budget: sweep {sweep_id} has a fixed number of runs ({cfg.runs}): "
                         "a budget applies to adaptive runs only")
        # A budget changes no number's meaning, only how long the race may go on: a race cut by
        # its budget continues with a new one (--resume --budget MINUTES).
        cfg.budget_min = args.budget
    typed = {flag: getattr(args, flag) for flag in CONFIG_FLAGS if getattr(args, flag) is not None and flag != "budget"}
    if typed:
        asked = config_from_args(args, parser)
        clashes = [f"--{flag.replace('_', '-')} {getattr(asked, CONFIG_FLAGS[flag])} "
                   f"(stored: {getattr(cfg, CONFIG_FLAGS[flag])})"
                   for flag in typed if getattr(asked, CONFIG_FLAGS[flag]) != getattr(cfg, CONFIG_FLAGS[flag])]
        if clashes:
            parser.error(f"--resume: sweep {sweep_id} was started with other settings: {'; '.join(clashes)}. "
                         "Resume with the same flags (or none), or start a new sweep without --resume")
    return cfg


def find_resumable(store: ResultStore, spec: str):
    """The named sweep, or for 'latest' the most recent unfinished one (None: all finished)."""
    if spec != "latest":
        return store.sweep(spec)
    unfinished = [s for s in store.sweeps() if not s.complete]
    if not unfinished:
        return None
    return unfinished[-1]


def open_sweep(args, parser):
    """Create the sweep in the store (or find the one to resume) and open a session on it.

    Returns (store, config, header, report stem, keys already measured, session number), or
    None when --resume finds nothing left to do.
    """
    # A new sweep's settings are checked before the store is touched: bad input leaves no trace.
    cfg = None if args.resume else config_from_args(args, parser)
    env_now = None if args.resume else _worker_environment(cfg, parser)
    try:
        store = ResultStore(args.db)
        store.lock_for_sweep()
        if args.resume:
            found = find_resumable(store, args.resume)
            if found is None:
                print(f"nothing to resume: every sweep in {args.db} is complete "
                      "(python scripts/report.py --list shows them)")
                return None
            cfg = resumed_config(args, parser, found.config, found.sweep_id)
            _posteriordb_is_set(cfg, parser)
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


def _posteriordb_is_set(cfg: SweepConfig, parser) -> None:
    """A resumed sweep of posteriordb's posteriors needs the folder again (--posteriordb or the
    environment variable): its workers read the data and draws from it."""
    from models import posteriordb

    def reads_posteriordb(model: str) -> bool:
        if model.startswith(posteriordb.PREFIX):
            return True
        try:  # a posterior staged from a full clone's Stan program: a folder whose info.json names it
            return bool(models.get(model).posteriordb)
        except (models.ModelFileError, KeyError):
            return False

    needing = [m for m in cfg.models if reads_posteriordb(m)]
    if needing and not os.environ.get(posteriordb.ENV):
        parser.error(f"--resume: the sweep runs {', '.join(needing[:3])}{', ...' if len(needing) > 3 else ''}: "
                     f"{posteriordb.HOW_TO_GET}")


def _worker_environment(cfg: SweepConfig, parser) -> dict:
    """The environment the workers will run in (with --python, that interpreter's), recorded as
    the sweep's; an interpreter that cannot run workers is refused before anything is measured."""
    try:
        return environment.collect_for(cfg.python)
    except environment.InterpreterError as err:
        parser.error(f"--python: {err}")


def writable(path: Path, what: str, parser, is_dir: bool = False) -> None:
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
