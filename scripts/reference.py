#!/usr/bin/env python
"""Compute a model's reference posterior: see ``python scripts/reference.py --help``."""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from samplerbench.analysis import accuracy  # noqa: E402
from samplerbench.tools import reference  # noqa: E402
from samplerbench.cli.flags import positive_int  # noqa: E402


def main(argv=None) -> int:
    d = reference.definition()
    parser = argparse.ArgumentParser(
        prog="reference.py",
        description=(
            "Compute a reference posterior with long Stan runs (CmdStan where installed, else PyStan) and write "
            "it to models/<MODEL>/references/n<N>.json: per parameter mean, sd, 5/50/95 % quantiles and their "
            f"Monte Carlo standard errors. Definition (posteriordb's, numbers stated): {d['chains']} chains × "
            f"({d['warmup']} warmup + {d['iterations_per_chain']} iterations thinned by {d['thin']}) = "
            f"{d['kept_draws']} kept draws, adapt_delta {d['target_accept']}; every reported parameter needs R-hat < {d['rhat_below']}, "
            f"bulk and tail ESS >= {d['min_ess_bulk_and_tail']}, and the run no divergence. A run that fails "
            "is not written, and the criterion that failed is printed (exit 1). Every timed run whose data "
            "match a reference's is scored against it (accurate / biased)."),
    )
    parser.add_argument("models", nargs="+", metavar="MODEL",
                        help=f"model name(s) under models/ or path(s) to model folders; valid names: {', '.join(models.names())}")
    parser.add_argument("--n", type=positive_int, nargs="+", default=[2000], metavar="N",
                        help="data size(s) (default 2000, the sweeps' default n); one file per distinct data set")
    args = parser.parse_args(argv)
    try:
        specs = [models.get(name) for name in args.models]
    except models.UnknownModelError as err:
        parser.error(str(err))
    failed = 0
    for spec in specs:
        for n in args.n:
            found = accuracy.find(spec, models.data_sha256(spec.generate_data(n)))
            if found:
                print(f"[{spec.name}] n = {n}: the data are those of {found[0]} (already computed): "
                      "delete that file to compute it again")
                continue
            start = time.perf_counter()
            try:
                outcome = reference.compute(spec, n)
            except reference.ReferenceRefused as err:
                print(f"[{spec.name}] n = {n}: REFUSED: {err}")
                failed += 1
                continue
            took = time.perf_counter() - start
            if outcome.reference.get("backend") == reference.CLOSED_FORM:
                print(f"[{spec.name}] n = {n}: wrote {outcome.path}: exact moments (closed form), no sampling")
                continue
            checks = outcome.reference["checks"]
            if outcome.refused:
                print(f"[{spec.name}] n = {n}: REFUSED, not written ({took:.0f} s): " + "; ".join(outcome.refused))
                failed += 1
            else:
                print(f"[{spec.name}] n = {n}: wrote {outcome.path} ({took:.0f} s): R-hat max {checks['rhat_max']:.4f}, "
                      f"ESS bulk min {checks['ess_bulk_min']:.0f}, tail min {checks['ess_tail_min']:.0f}, "
                      f"divergences {checks['divergences']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
