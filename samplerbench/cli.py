"""Command line of ``scripts/compare.py``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import models
import samplers
from samplerbench import environment, report
from samplerbench.orchestrator import (
    CACHE_MODES, RecordSink, SweepConfig, planned_runs, probe_availability, run_sweep, sweep_header,
)

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
  python scripts/compare.py --from-records reports/X.runs.jsonl     # rebuild a report

exit codes: 0 done (failed or skipped backends are reported in the table), 2 bad arguments.
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
    p.add_argument("--n", type=positive_int, nargs="+", default=[2000], metavar="N",
                   help="number of data points (one or more sizes; default 2000)")
    p.add_argument("--runs", type=positive_int, default=5,
                   help="timed runs per (model, n, backend), each in a fresh process (default 5)")
    p.add_argument("--samplers", nargs="+", default=["all"], metavar="NAME",
                   help=f"backends to run, or 'all' (default). Valid: {', '.join(samplers.names())}")
    p.add_argument("--models", nargs="+", default=["linear_regression"], metavar="NAME",
                   help="models to run, or 'all'. Valid: " + ", ".join(models.names())
                   + " (default linear_regression)")
    p.add_argument("--chains", type=positive_int, default=4, help="chains per run (default 4)")
    p.add_argument("--tune", type=positive_int, default=1000,
                   help="warmup (tuning) iterations per chain (default 1000)")
    p.add_argument("--draws", type=positive_int, default=1000,
                   help="kept draws per chain (default 1000)")
    p.add_argument("--target-accept", type=probability, default=0.8,
                   help="target acceptance rate of step-size adaptation (default 0.8)")
    p.add_argument("--max-treedepth", type=positive_int, default=10,
                   help="maximum NUTS tree depth (default 10)")
    p.add_argument("--cache", choices=CACHE_MODES, default="cold",
                   help="cold: every run starts with empty compile caches (first run of a new "
                   "model); warm: an untimed priming run fills the caches first (re-running an "
                   "unchanged model). Default cold")
    p.add_argument("--timeout", type=positive_float, default=600.0, metavar="SECONDS",
                   help="wall-clock limit per run; a run past it is killed and recorded as "
                   "failed (default 600)")
    p.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR",
                   help="report directory: <stem>.md, .csv, .env.json and every run record as "
                   "<stem>.runs.jsonl, written as each run finishes (default reports/)")
    p.add_argument("--name", default=None, metavar="STEM",
                   help="file stem of the report (default: compare-n<N>-<cache>-<sweep time>)")
    p.add_argument("--json", type=Path, default=None, metavar="PATH",
                   help="also append every run record to PATH as JSON lines")
    p.add_argument("--gradient-floor", action=argparse.BooleanOptionalAction, default=True,
                   help="measure the gradient floor (one compiled JAX value-and-gradient of the "
                   "log density) per model and n, for the '× floor' column (default on)")
    p.add_argument("--list", action="store_true",
                   help="list models and samplers, with whether each backend can run here, and exit")
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
            if kind == "model" and name not in valid and Path(name, "info.json").exists():
                valid = [*valid, name]  # a model folder given by path
            if name not in valid:
                parser.error(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(valid)} (or 'all')")
            if name not in chosen:
                chosen.append(name)
    if not chosen:
        parser.error(f"no {kind} given; valid {kind}s: {', '.join(valid)} (or 'all')")
    return chosen


def print_list() -> int:
    availability = probe_availability(samplers.names())
    print("models:")
    for name, spec in models.discover().items():
        print(f"  {name:20s} parameters: {', '.join(spec.parameters)}; --n scales: {spec.n_scales}")
    print("samplers:")
    for name in samplers.names():
        reason = availability.get(name)
        print(f"  {name:15s} {'available' if not reason else 'NOT available: ' + reason}")
    return 0


def _describe(record: dict) -> str:
    status = record.get("status")
    if status == "ok" and record.get("kind") == "gradient_floor":
        return f"ok  {record['floor_us_per_grad']:.2f} µs per compiled value-and-gradient (JAX)"
    if status == "ok":
        return (f"ok  sampling {record['sampling_s']:.2f} s, compile {record['compile_s']:.2f} s, "
                f"end-to-end {record['end_to_end_s']:.2f} s, process {record['process_s']:.2f} s")
    return f"{status}: {record.get('reason', '')}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        return print_list()

    sampler_names = _resolve(args.samplers, samplers.names(), "sampler", parser)
    model_names = _resolve(args.models, models.names(), "model", parser)

    if args.from_records:
        if not args.from_records.exists():
            parser.error(f"--from-records: no such file {args.from_records}")
        records = report.load_records(args.from_records)
        header_path = Path(str(args.from_records).removesuffix(".runs.jsonl") + ".env.json")
        header = json.loads(header_path.read_text()) if header_path.exists() else {}
        stem = args.name or args.from_records.name.removesuffix(".runs.jsonl")
        paths = report.write_report(records, header, args.out, stem, samplers.names())
        print(report.terminal_table(records, samplers.names()))
        print(f"\nreport: {paths['markdown']}")
        return 0

    cfg = SweepConfig(
        models=model_names, samplers=sampler_names, ns=args.n, runs=args.runs, cache=args.cache,
        chains=args.chains, tune=args.tune, draws=args.draws, target_accept=args.target_accept,
        max_treedepth=args.max_treedepth, timeout_s=args.timeout, gradient_floor=args.gradient_floor,
    )
    header = sweep_header(cfg, environment.collect())
    stem = args.name or f"compare-n{'-'.join(map(str, cfg.ns))}-{cfg.cache}-{header['sweep_id']}"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.env.json").write_text(json.dumps(header, indent=2, default=str))
    runs_path = args.out / f"{stem}.runs.jsonl"
    sink = RecordSink([runs_path] + ([args.json] if args.json else []), header)

    availability = probe_availability(sampler_names)
    total = planned_runs(cfg)
    print(f"samplerbench: {total} runs ({', '.join(sampler_names)}; n = {', '.join(map(str, cfg.ns))}; "
          f"{cfg.runs} runs each; cache {cfg.cache}); records -> {runs_path}", flush=True)

    started = time.perf_counter()

    def on_event(kind: str, info: dict) -> None:
        elapsed = time.perf_counter() - started
        if kind == "start":
            label = ("priming (untimed)" if info.get("priming") else "gradient floor" if info.get("floor")
                     else f"run {info['run']}/{cfg.runs}")
            print(f"[{info['done'] + 1:>3}/{info['total']}] {elapsed:6.0f}s  {info['model']} n={info['n']} "
                  f"{info['sampler']} {label} ...", flush=True)
        elif kind == "record":
            rec = info["record"]
            print(f"          {rec['sampler']}: {_describe(rec)}", flush=True)

    try:
        records = run_sweep(cfg, sink, availability, log_dir=args.out / "logs", on_event=on_event)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {len(sink.records)} finished run records are saved in {runs_path}", flush=True)
        records = sink.records
        if not records:
            return 130
    total_s = time.perf_counter() - started
    header["total_s"] = total_s
    paths = report.write_report(records, header, args.out, stem, samplers.names())
    print()
    print(report.terminal_table(records, samplers.names()))
    print(f"\ntotal wall time: {total_s:.0f} s ({total_s / 60:.1f} min)")
    print(f"report: {paths['markdown']}  table: {paths['csv']}  records: {runs_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
