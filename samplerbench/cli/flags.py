"""The flags of ``scripts/compare.py``: each default read from SweepConfig (the one source), the
help printed from it, and the argument types that refuse bad input with exit code 2."""

from __future__ import annotations

import argparse
from pathlib import Path

import models
import samplers
from samplerbench.analysis.race import AUTO, FIRST_LOOK, LEAVE_RATIO, MIN_RUNS
from samplerbench.store.database import DEFAULT_DB
from samplerbench.sweep.config import BOTH, CACHE_MODES, sweep_default

# Flag -> SweepConfig field; each default is SweepConfig's own (sweep.config.sweep_default), in
# the help too. Flags default to None in argparse so that --resume can tell the flags a user
# typed (which must match the stored sweep) from the ones left out.
CONFIG_FLAGS = {
    "n": "ns", "runs": "runs", "max_runs": "max_runs", "budget": "budget_min", "samplers": "samplers", "models": "models", "chains": "chains", "tune": "tune",
    "draws": "draws", "target_accept": "target_accept", "max_treedepth": "max_treedepth", "cache": "cache",
    "timeout": "timeout_s", "gradient_floor": "gradient_floor", "ess_targets": "ess_targets", "python": "python",
}


def default_text(flag: str) -> str:
    """A flag's default as its help prints it."""
    value = sweep_default(CONFIG_FLAGS[flag])
    if value is None:
        return "none"
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

exit codes: 0 done (failed or skipped backends are reported in the table), 2 bad arguments,
130 interrupted (every finished run is in the store: run again with --resume).
"""


def runs_count(text: str) -> int | str:
    """--runs: "auto" (adaptive runs) or a whole number > 0."""
    if text.strip().lower() == AUTO:
        return AUTO
    if not text.strip().lstrip("+-").isdigit():
        raise argparse.ArgumentTypeError(f"expected 'auto' or a whole number > 0, got {text!r}")
    return positive_int(text)


def at_least_min_runs(text: str) -> int:
    value = positive_int(text)
    if value < MIN_RUNS:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_RUNS} (the fewest runs a backend gets), got {value}")
    return value


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
    for add in (_what_to_run, _run_settings, _outputs, _modes):
        add(p)
    return p


def _what_to_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=positive_int, nargs="+", default=None, metavar="N",
                   help="number of data points; several sizes make a data-size sweep whose report "
                   f"and plots show how each backend grows with n (default {default_text('n')})")
    p.add_argument("--runs", type=runs_count, default=None, metavar="auto|N",
                   help="timed runs per (model, n, backend, cache mode), each in a fresh process. 'auto': "
                   f"adaptive runs: every backend runs {MIN_RUNS} rounds, then only the backends that can still "
                   "matter for a sentence of the verdict run on (one clearly behind two others, its bootstrap "
                   f"interval wholly above {LEAVE_RATIO:g}× or, from enough runs, a real difference, leaves), "
                   f"until each sentence is decided at a look (round {FIRST_LOOK} and --max-runs), --max-runs "
                   "or --budget; differences are then tested at 0.05 divided by the looks. N: exactly N runs "
                   f"each, tested at 0.05, as the reference table's 'best of 5' (default {default_text('runs')})")
    p.add_argument("--max-runs", type=at_least_min_runs, default=None, metavar="N",
                   help=f"with --runs auto: the most runs a backend gets per cache mode (default {default_text('max_runs')})")
    p.add_argument("--budget", type=positive_float, default=None, metavar="MINUTES",
                   help="with --runs auto: start no round past the first "
                   f"{MIN_RUNS} that would end after this many minutes of the sweep (estimated from the cell's "
                   "runs so far); the report says where the race was cut, and --resume --budget MINUTES continues it "
                   f"(default {default_text('budget')})")
    p.add_argument("--samplers", nargs="+", default=None, metavar="NAME",
                   help=f"backends to run, or 'all'. Default: all but {', '.join(n for n in samplers.names() if n not in samplers.default_names())} "
                        "(slow to compile; name them or say 'all'). Each backend's kind (mcmc, mcmc-biased, "
                        f"approximate) is in --list. Valid: {', '.join(samplers.names())}")
    p.add_argument("--models", nargs="+", default=None, metavar="NAME",
                   help="models to run, or 'all': names of models/ (" + ", ".join(models.names())
                   + "), paths of model folders (anywhere; one or more of model.stan, pymc_model.py, "
                   "numpyro_model.py, with data.json, a CSV named in info.json, or data.py), or one model "
                   "file (a .stan file, or a .py file with a PyMC build(data) or a NumPyro model(data)) with "
                   "--data; or 'pdb' / 'pdb:<posterior>' with --posteriordb. Each backend runs the models written in its language; for the others its row "
                   f"says 'not applicable' (default {default_text('models')})")
    p.add_argument("--posteriordb", type=Path, default=None, metavar="PATH",
                   help="a posteriordb folder (a clone of https://github.com/stan-dev/posteriordb, BSD): "
                   "then --models pdb runs every posterior with a version in models/posteriordb/, and "
                   "--models pdb:<posterior> one posterior (ours where we have it, else posteriordb's Stan "
                   "program, Stan backends only), each with posteriordb's data and scored against its "
                   "gold-standard draws; with --list, lists its posteriors (default: the environment "
                   "variable SAMPLERBENCH_POSTERIORDB)")
    p.add_argument("--data", type=Path, default=None, metavar="JSON",
                   help="the data of a model given as one file (--models path/to/model.stan --data "
                   "path/to/data.json), in Stan's JSON data format (what cmdstanpy writes); the model file "
                   "and its data are copied into a folder under the --db folder's models/")


def _run_settings(p: argparse.ArgumentParser) -> None:
    p.add_argument("--chains", type=positive_int, default=None, help=f"chains per run (default {default_text('chains')})")
    p.add_argument("--tune", type=positive_int, default=None,
                   help=f"warmup (tuning) iterations per chain (default {default_text('tune')})")
    p.add_argument("--draws", type=positive_int, default=None,
                   help=f"kept draws per chain (default {default_text('draws')})")
    p.add_argument("--target-accept", type=probability, default=None,
                   help=f"target acceptance rate of step-size adaptation (default {default_text('target_accept')})")
    p.add_argument("--max-treedepth", type=positive_int, default=None,
                   help=f"maximum NUTS tree depth (default {default_text('max_treedepth')})")
    p.add_argument("--cache", choices=(*CACHE_MODES, BOTH), default=None,
                   help="cold: every run starts with empty compile caches (first run of a new "
                   "model); warm: an untimed priming run fills the caches first (re-running an "
                   "unchanged model); both: cold and warm runs interleaved in one sweep, so one "
                   f"report answers for a first run and a re-run. Default {default_text('cache')}")
    p.add_argument("--ess-targets", type=positive_int, nargs="+", default=None, metavar="ESS",
                   help="bulk ESS targets of the time-to-ESS columns, verdict and break-even plot: "
                   "seconds from process start until the slowest parameter has that ESS "
                   f"(default {default_text('ess_targets')})")
    p.add_argument("--timeout", type=positive_float, default=None, metavar="SECONDS",
                   help="wall-clock limit per run; a run past it is killed and recorded as "
                   f"failed (default {default_text('timeout')})")


def _outputs(p: argparse.ArgumentParser) -> None:
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


def _modes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gradient-floor", action=argparse.BooleanOptionalAction, default=None,
                   help="measure the gradient floor per model and n, for the '× floor' column: the "
                   "bare compiled value-and-gradient of the log density in every language the model "
                   "has where an in-process call exists (JAX jit of the NumPyro model, PyTensor's "
                   "compiled dlogp of the PyMC model), timed in a compiled loop; the fastest is the "
                   f"floor (default {default_text('gradient_floor')})")
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
