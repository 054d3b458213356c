"""Command line of ``scripts/report.py``: reports from the results store, without running anything."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import samplers
from samplerbench.analysis.race import verdict_alpha
from samplerbench.views import markdown, report, site, sweep_comparison
from samplerbench.analysis.statistics import summarize
from samplerbench.time_to_ess import ess_targets_of
from samplerbench.store.database import DEFAULT_DB, ResultStore, StoreError

DESCRIPTION = """\
Rebuild reports from the results store (nothing is measured again), list the stored sweeps,
or compare two sweeps (two machines, two library versions, cold against warm) as ratios.
"""

EPILOG = """\
examples:
  python scripts/report.py                      # the latest sweep's report, rebuilt into reports/
  python scripts/report.py --list               # every sweep in the store
  python scripts/report.py 20261123T120000Z-ab12  # one sweep (id, unique id prefix or report name)
  python scripts/report.py --compare OLD NEW    # ratios NEW / OLD
  python scripts/report.py --compare laptop.sqlite server.sqlite   # latest sweep of each store
  python scripts/report.py --compare reports/sample-n2000-both.runs.jsonl latest
  python scripts/report.py --ess-targets 100 5000       # the latest sweep, time to other ESS targets
  python scripts/report.py --html                       # the dashboard of the whole store: reports/site/

a SWEEP is: a sweep id, a unique prefix of one, a report name, or 'latest' (all in --db);
a path to another store (its latest sweep) or STORE:SWEEP; or a saved <stem>.runs.jsonl file.
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="report.py", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sweep", nargs="?", default="latest", metavar="SWEEP",
                   help="the sweep to report (default: latest)")
    p.add_argument("--db", type=Path, default=DEFAULT_DB, metavar="PATH",
                   help=f"results store to read (default {DEFAULT_DB})")
    p.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR",
                   help="where the report goes (default reports/)")
    p.add_argument("--name", default=None, metavar="STEM",
                   help="file stem of the report (default: the sweep's report name; for --compare "
                   "compare-<A>-vs-<B>)")
    p.add_argument("--ess-targets", type=int, nargs="+", default=None, metavar="ESS",
                   help="bulk ESS targets of the time-to-ESS columns and break-even plot (default: the "
                   "sweep's own, 400 1000 10000 unless it was run with others)")
    p.add_argument("--list", action="store_true", help="list the sweeps in the store and exit")
    p.add_argument("--html", nargs="?", type=Path, const=site.DEFAULT_SITE, default=None, metavar="DIR",
                   help="write the dashboard of the whole store (every sweep, a page per model with "
                   "interactive plots and each backend's history across sweeps and library versions) as "
                   f"a static site that works offline, into DIR (default {site.DEFAULT_SITE}/), and exit")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"), default=None,
                   help="compare two sweeps: a markdown and CSV table of medians and ratios B / A")
    return p


def list_sweeps(db: Path) -> int:
    with ResultStore(db, create=False) as store:
        sweeps = store.sweeps()
    if not sweeps:
        print(f"{db}: no sweeps yet")
        return 0
    print(f"{db}: {len(sweeps)} sweeps")
    for s in sweeps:
        cfg, env = s.config, s.environment
        state = "complete" if s.complete else f"INCOMPLETE {s.measured}/{s.planned}"
        print(f"  {s.sweep_id}  {s.name}\n      {state}; models {', '.join(cfg.get('models', []))}; "
              f"n {', '.join(map(str, cfg.get('ns', [])))}; {', '.join(cfg.get('samplers', []))}; "
              f"{cfg.get('runs')} runs, cache {cfg.get('cache')}; {env.get('cpu')}, "
              f"sessions {s.sessions}")
    return 0


def _safe(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label)[:60]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.list:
            return list_sweeps(args.db)
        if args.html:
            pages = site.build_site(args.db, args.html, samplers.names())
            print(f"dashboard: {pages['index']} ({len(pages)} pages; open it in a browser, no server needed)")
            return 0
        if args.compare:
            a, b = (sweep_comparison.load_sweep(spec, args.db) for spec in args.compare)
            stem = args.name or f"compare-{_safe(a.label)}-vs-{_safe(b.label)}"
            paths = sweep_comparison.write_comparison(a, b, args.out, stem, samplers.names())
            print(paths["markdown"].read_text())
            print(f"comparison: {paths['markdown']}  table: {paths['csv']}")
            return 0
        sweep = sweep_comparison.load_sweep(args.sweep, args.db)
    except StoreError as err:
        parser.error(str(err))
    if args.ess_targets and min(args.ess_targets) <= 0:
        parser.error(f"--ess-targets: every target must be > 0, got {' '.join(map(str, args.ess_targets))}")
    summary = summarize(sweep.records, samplers.names(), args.ess_targets or ess_targets_of(sweep.header),
                        verdict_alpha(sweep.header.get("config")))
    stem = args.name or sweep.label
    # Rebuilt from a .runs.jsonl file into its own folder under its own name: the records are the
    # file read, and are not written over it.
    source = Path(args.sweep)
    same_file = source.is_file() and (args.out / f"{stem}.runs.jsonl").resolve() == source.resolve()
    paths = report.write_report(summary, sweep.header, args.out, stem, export_records=not same_file)
    print(markdown.terminal_table(summary))
    print(f"\nreport: {paths['markdown']}  table: {paths['csv']}  plots: "
          f"{', '.join(p.name for p in paths['plots']) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
