#!/usr/bin/env python
"""Check a model folder before timing it: see ``python scripts/check_model.py --help``."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from samplerbench.tools.check import check  # noqa: E402
from samplerbench.cli.flags import positive_int  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="check_model.py",
        description="Check a model folder: that its files can be read (stanc's errors, the functions "
        "samplerbench calls, data that fit model.stan), that the languages it is written in are the same "
        "model (parameter names, log densities up to a constant, gradients), and that a tiny sampling run "
        "works on every available backend of its languages, with posteriors that agree.",
    )
    parser.add_argument("models", nargs="+", metavar="MODEL", help="a model name under models/ or a path to a model folder (anywhere)")
    parser.add_argument("--n", type=positive_int, default=50, help="data size for the checks (default 50)")
    parser.add_argument("--no-sampling", action="store_true", help="skip the tiny sampling runs")
    parser.add_argument("--samplers", nargs="+", default=None, metavar="NAME", help="backends for the tiny runs (default: all of the model's languages)")
    args = parser.parse_args(argv)
    failed = 0
    for model in args.models:
        result = check(model, n=args.n, sample=not args.no_sampling, samplers_to_run=args.samplers)
        print(result.text())
        failed += not result.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
