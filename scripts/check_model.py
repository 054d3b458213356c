#!/usr/bin/env python
"""Check a model folder before timing it: see ``python scripts/check_model.py --help``."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from samplerbench.check import check  # noqa: E402
from samplerbench.cli import positive_int  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="check_model.py",
        description="Check that a model folder is complete, that its Stan, PyMC and NumPyro "
        "versions are the same model (parameter names, log densities up to a constant), and that "
        "a tiny sampling run works on every available backend.",
    )
    parser.add_argument("models", nargs="+", metavar="MODEL", help="a model name under models/ or a path to a model folder")
    parser.add_argument("--n", type=positive_int, default=50, help="data size for the checks (default 50)")
    parser.add_argument("--no-sampling", action="store_true", help="skip the tiny sampling runs")
    parser.add_argument("--samplers", nargs="+", default=None, metavar="NAME", help="backends for the tiny runs (default: all)")
    args = parser.parse_args(argv)
    failed = 0
    for model in args.models:
        result = check(model, n=args.n, sample=not args.no_sampling, samplers_to_run=args.samplers)
        print(f"\n{result.model}: {'OK' if result.ok else 'PROBLEMS'}")
        for line in result.passed:
            print(f"  ok: {line}")
        for line in result.problems:
            print(f"  FIX: {line}")
        failed += not result.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
