"""Cross-check a sweep's sampling seconds against the independent minimal scripts (issue 25).

    python benchmarks/cross_check.py RECORDS.runs.jsonl [--repeats 3]

Reads a samplerbench sweep of the linear regression (a ``make compare`` report's .runs.jsonl)
and, on the same machine right after it, runs ``benchmarks/minimal.py`` in fresh processes with
cold caches and the worker's environment:
- pystan and nutpie ``--repeats`` times each, with the libraries' defaults (nutpie: its draw
  loop, with the building of its output measured apart, as samplerbench leaves it out);
- numpyro-aot once per numpyro run of the sweep, with that run's seed: the same chains, compiled
  ahead of time and executed alone, so the two times describe the same work.
Prints a markdown table: samplerbench's sampling_s against the script's, min and median.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def minimal(backend: str, n: int, *extra: str) -> dict:
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "JAX_ENABLE_X64": "1", "JAX_PLATFORMS": "cpu",
               "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
               "PYTENSOR_FLAGS": f"base_compiledir={cache}/pytensor", "XDG_CACHE_HOME": f"{cache}/xdg",
               "NUMBA_CACHE_DIR": f"{cache}/numba"}
        proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "minimal.py"), backend, str(n), *extra],
                              cwd=work, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"minimal.py {backend} failed: {proc.stderr.strip().splitlines()[-1]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def spread(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", type=Path, help="a sweep's .runs.jsonl (linear_regression)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each minimal script (default 3)")
    args = parser.parse_args(argv)
    runs = [json.loads(line) for line in args.records.read_text().splitlines() if line.strip()]
    runs = [r for r in runs if r.get("status") == "ok" and r.get("kind", "run") == "run" and not r.get("priming")
            and r.get("model") == "linear_regression"]
    if not runs:
        raise SystemExit(f"{args.records}: no ok run of linear_regression")
    n = runs[0]["n"]
    rows = ["| backend | samplerbench sampling_s, min / median (runs) | minimal script, min / median (runs) | "
            "ratio of the minima | ratio of the medians |", "|---|---|---|---|---|"]
    for backend in ("pystan", "nutpie"):
        ours = [r["sampling_s"] for r in runs if r["sampler"] == backend]
        if not ours:
            continue
        theirs = [minimal(backend, n)["sampling_s"] for _ in range(args.repeats)]
        rows.append(f"| {backend} | {spread(ours)} ({len(ours)}) | {spread(theirs)} ({len(theirs)}) | "
                    f"{min(ours) / min(theirs):.2f} | {statistics.median(ours) / statistics.median(theirs):.2f} |")
    same_chains = [(r, minimal("numpyro-aot", n, str(r["seed"]))) for r in runs if r["sampler"] == "numpyro"]
    if same_chains:
        ours = [r["sampling_s"] for r, _ in same_chains]
        theirs = [m["execute_s"] for _, m in same_chains]
        identical = sum(r["grad_evals"] == m["kept_grad_evals"] for r, m in same_chains)
        rows.append(f"| numpyro (same seeds: {identical}/{len(same_chains)} runs drew the same chains) | "
                    f"{spread(ours)} ({len(ours)}) | AOT-compiled chains executed alone: {spread(theirs)} "
                    f"({len(theirs)}) | {min(ours) / min(theirs):.2f} | "
                    f"{statistics.median(ours) / statistics.median(theirs):.2f} |")
    print(f"n = {n}, records {args.records.name}\n")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
