"""Reference posteriors: long Stan runs that every timed run's posterior is scored against.

The definition follows posteriordb's reference posteriors (10 chains, 10 000 draws kept after
thinning, R-hat < 1.01, no divergences), with the numbers stated here once:

- ``CHAINS`` = 10 chains, ``WARMUP`` = 2 000 warmup iterations (twice Stan's default, so a
  slow-to-adapt posterior still gets a settled step size and metric), ``ITERATIONS`` = 10 000
  iterations per chain after warmup, thinned by ``THIN`` = 10: 1 000 kept per chain, 10 000 in
  all; step size adapted to ``TARGET_ACCEPT`` = 0.95 (Stan's ``adapt_delta``; the timed runs
  use 0.8), which a reference can afford: accuracy matters here, not speed;
- the file is refused (and says which criterion failed) unless every reported parameter has
  rank-normalised split R-hat < ``RHAT_BELOW`` = 1.01, the run has no divergent transition,
  and bulk and tail ESS ≥ ``MIN_ESS`` = 1 000 for every parameter (our addition: it bounds the
  reference's own Monte Carlo error at 3 % of a posterior sd).

A reference is written as ``models/<name>/references/n<N>.json`` with per parameter element
mean, sd, 5/50/95 % quantiles and their Monte Carlo standard errors, the settings, the library
versions, the data seed and a digest of the data it was computed on. Runs look a reference up
by that digest, so one file serves every n that produces the same data (eight schools ignores
n; the GP caps it at 100 points). A model may take its reference from another parameterisation
of the same posterior (``"reference_from": "<twin>"`` in info.json: the centred eight schools
from the non-centred one, the data must be the same; or ``"reference_stan": "<file>"``, a Stan
file in the folder: the stochastic volatility model); the file says so.

CmdStan computes it where it is installed, else PyStan, inside ``compute``: a tool's job, run
from ``scripts/reference.py`` in its own process. Looking a reference up and scoring a run
against it is ``samplerbench.analysis.accuracy`` (the worker and the reports use it).
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass
from pathlib import Path

from samplerbench.analysis.accuracy import FOLDER
from samplerbench.measure.parameters import reported_parameters

CHAINS = 10
WARMUP = 2_000
ITERATIONS = 10_000
THIN = 10
TARGET_ACCEPT = 0.95  # Stan's adapt_delta: smaller steps, for accuracy rather than speed
RHAT_BELOW = 1.01
MIN_ESS = 1_000
QUANTILES = (0.05, 0.5, 0.95)
SEED = 20_260_101


def definition() -> dict:
    return {"chains": CHAINS, "warmup": WARMUP, "iterations_per_chain": ITERATIONS, "thin": THIN,
            "kept_draws": CHAINS * ITERATIONS // THIN, "rhat_below": RHAT_BELOW, "divergences": 0,
            "min_ess_bulk_and_tail": MIN_ESS, "target_accept": TARGET_ACCEPT, "quantiles": list(QUANTILES), "seed": SEED}


class ReferenceRefused(RuntimeError):
    """The long run does not meet the definition; the message says which criterion failed."""


@dataclass(frozen=True)
class StanProgram:
    """The Stan program a reference is computed with, and what it is relative to the model."""

    name: str  # the model it belongs to
    stan_file: Path
    data_from: object  # the ModelSpec whose generate_data gives its data
    note: str

    def stan_code(self) -> str:
        return self.stan_file.read_text()


def source_program(spec) -> StanProgram:
    """The model's own ``model.stan``; or a Stan file of the same posterior in another
    parameterisation, in the folder (``"reference_stan": "reference.stan"`` in info.json: the
    centred stochastic volatility model, too slow for 10 × 12 000 iterations, from its non-centred
    form), or the Stan program of a twin model (``"reference_from": "<model>"``: the centred
    eight schools from ``eight_schools``)."""
    import models

    if spec.info.get("reference_stan"):
        return StanProgram(spec.name, spec.folder / spec.info["reference_stan"], spec,
                           f"another parameterisation of the same posterior: {spec.info['reference_stan']} in the "
                           "model's folder (see the comment at its top)")
    if spec.info.get("reference_from"):
        twin = models.get(spec.info["reference_from"])
        return StanProgram(twin.name, twin.stan_file, twin,
                           f"another parameterisation of the same posterior, the model {twin.name}: "
                           f"{twin.info.get('description', '')}")
    return StanProgram(spec.name, spec.stan_file, spec, "this model's own Stan program")


def _stan_backend() -> str:
    import samplers

    return "cmdstan" if samplers.get("cmdstan").unavailable_reason() is None else "pystan"


def _run_pystan(source, data, cores: int):
    import arviz_base

    from samplerbench.tools.logdensity import stan_posterior

    posterior = stan_posterior(source, data, random_seed=SEED)
    kwargs = dict(num_chains=CHAINS, num_warmup=WARMUP, num_samples=ITERATIONS, num_thin=THIN, delta=TARGET_ACCEPT)
    fit = posterior.sample(**kwargs)
    return arviz_base.from_pystan(posterior=fit, posterior_model=posterior), kwargs


def _run_cmdstan(source, data, cores: int):
    import arviz_base
    import cmdstanpy

    from samplers.base import stan_data

    model = cmdstanpy.CmdStanModel(stan_file=str(source.stan_file))
    kwargs = dict(chains=CHAINS, parallel_chains=cores, iter_warmup=WARMUP, iter_sampling=ITERATIONS,
                  thin=THIN, adapt_delta=TARGET_ACCEPT, seed=SEED, show_progress=False)
    fit = model.sample(data=stan_data(data), **kwargs)
    return arviz_base.from_cmdstanpy(posterior=fit), kwargs


def summarize(idata, parameters) -> dict[str, dict]:
    """Per parameter element: mean, sd, quantiles, their MCSE, ESS and R-hat (ArviZ)."""
    import arviz_stats
    import numpy as np

    summary = arviz_stats.summary(idata, var_names=list(parameters), round_to="none")
    quantile_mcse = {q: arviz_stats.mcse(idata, var_names=list(parameters), method="quantile", prob=q)
                     for q in QUANTILES}
    posterior = idata["posterior"].to_dataset()
    out: dict[str, dict] = {}
    for name in parameters:
        draws = np.asarray(posterior[name].values, dtype=float)
        flat = draws.reshape(draws.shape[0] * draws.shape[1], -1)  # C order, as ArviZ labels them
        # ArviZ's own labels: "mu", "theta[0]", "L[0, 1]" (a matrix), in the same order as ``flat``.
        labels = [label for label in summary.index if str(label) == name or str(label).startswith(f"{name}[")]
        for i in range(flat.shape[1]):
            label = labels[i]
            row = summary.loc[label]
            entry = {"mean": float(row["mean"]), "sd": float(row["sd"]),
                     "mcse_mean": float(row["mcse_mean"]), "mcse_sd": float(row["mcse_sd"]),
                     "ess_bulk": float(row["ess_bulk"]), "ess_tail": float(row["ess_tail"]),
                     "rhat": float(row["r_hat"])}
            for q in QUANTILES:
                key = f"q{round(q * 100)}"
                entry[key] = float(np.quantile(flat[:, i], q))
                mcse = np.ravel(np.asarray(quantile_mcse[q][name].values))
                entry[f"mcse_{key}"] = float(mcse[i])
            out[label] = entry
    for label, moments in second_moments(idata, parameters).items():
        out[label].update(moments)
    return out


def second_moments(idata, parameters) -> dict[str, dict]:
    """Per element E[x²] and Var[x²] (as ``mean_x2``, ``sd_x2``) with the MCSE of E[x²], from the
    same draws and the same ArviZ estimators as the first moments: what the error trace's b² of x²
    needs (samplerbench.analysis.error_trace)."""
    import arviz_base
    import arviz_stats
    import numpy as np

    posterior = idata["posterior"].to_dataset()
    squared = arviz_base.from_dict({"posterior": {name: np.asarray(posterior[name].values, dtype=float) ** 2
                                                  for name in parameters}})
    summary = arviz_stats.summary(squared, var_names=list(parameters), round_to="none")
    return {str(label): {"mean_x2": float(row["mean"]), "sd_x2": float(row["sd"]),
                         "mcse_mean_x2": float(row["mcse_mean"])}
            for label, row in summary.iterrows()}


def criteria_failed(parameters: dict[str, dict], divergences: int) -> list[str]:
    failed = []
    high = {k: v["rhat"] for k, v in parameters.items() if not v["rhat"] < RHAT_BELOW}
    if high:
        worst = max(high, key=high.get)
        failed.append(f"R-hat < {RHAT_BELOW} fails for {len(high)} parameter(s), worst {worst} at {high[worst]:.4f}")
    if divergences:
        failed.append(f"no divergences fails: {divergences} divergent transitions")
    low = {k: min(v["ess_bulk"], v["ess_tail"]) for k, v in parameters.items()
           if not min(v["ess_bulk"], v["ess_tail"]) >= MIN_ESS}
    if low:
        worst = min(low, key=low.get)
        failed.append(f"bulk and tail ESS ≥ {MIN_ESS} fails for {len(low)} parameter(s), lowest {worst} at {low[worst]:.0f}")
    return failed


@dataclass
class Outcome:
    path: Path
    reference: dict
    refused: list[str]


def compute(spec, n: int, log=print, cores: int | None = None) -> Outcome:
    """Run the long Stan chains on the model's data at n; write the file only if it meets the definition."""
    import models
    from samplerbench.environment import library_versions

    cores = cores or os.cpu_count() or 1
    if spec.posteriordb:
        raise ReferenceRefused(f"{spec.name} is posteriordb's {spec.posteriordb}: its runs are scored against "
                               "posteriordb's gold draws (analysis/gold.py), never a reference of ours")
    if spec.info.get("reference") == CLOSED_FORM:
        return closed_form(spec, n)
    source = source_program(spec)
    if not source.stan_file.is_file():
        raise ReferenceRefused(f"{spec.name}: a reference posterior is computed by long Stan chains, and this model "
                               f"has no Stan version ({source.stan_file} is missing); write model.stan beside "
                               f"{', '.join(models.LANGUAGE_FILES[lang] for lang in spec.languages)}")
    data = spec.generate_data(n)
    digest = models.data_sha256(data)
    if source.data_from is not spec and models.data_sha256(source.data_from.generate_data(n)) != digest:
        raise ReferenceRefused(f"{spec.name} takes its reference from {source.name} (info.json "
                               f"\"reference_from\"), but their data at n = {n} differ: the twin must read the same data")
    backend = _stan_backend()
    log(f"[{spec.name}] n = {n}: {CHAINS} chains × ({WARMUP} warmup + {ITERATIONS} draws, thinned by {THIN}) "
        f"on {backend}{' (' + source.stan_file.name + ' of ' + source.name + ')' if source.stan_file != spec.stan_file else ''}")
    idata, kwargs = (_run_cmdstan if backend == "cmdstan" else _run_pystan)(source, data, cores)
    stats = idata["sample_stats"].to_dataset()
    divergences = int(stats["diverging"].sum()) if "diverging" in stats else 0
    parameters = summarize(idata, reported_parameters(spec, "stan", data)[0])
    reference = {
        "model": spec.name,
        "n": n,
        "data_sha256": digest,
        "data_seed": spec.data_seed,
        "n_meaning": spec.n_meaning,
        "computed_from": {"model": source.name, "stan_file": source.stan_file.name,
                          "stan_file_sha256": _sha256(source.stan_file), "note": source.note},
        "backend": backend,
        "library_call": kwargs,
        "definition": definition(),
        "checks": {"rhat_max": max(v["rhat"] for v in parameters.values()), "divergences": divergences,
                   "ess_bulk_min": min(v["ess_bulk"] for v in parameters.values()),
                   "ess_tail_min": min(v["ess_tail"] for v in parameters.values())},
        "versions": library_versions(("cmdstanpy",) if backend == "cmdstan" else ("pystan", "httpstan"))
        | library_versions(("arviz-base", "arviz-stats", "numpy")),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "parameters": parameters,
    }
    path = spec.folder / FOLDER / f"n{n}.json"
    refused = criteria_failed(parameters, divergences)
    if not refused:
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(reference, indent=1) + "\n")
    return Outcome(path, reference, refused)


CLOSED_FORM = "closed_form"


def closed_form(spec, n: int) -> Outcome:
    """A model whose posterior is known exactly (``"reference": "closed_form"`` in info.json): its
    ``data.py``'s ``exact_moments(data)`` gives every element's mean, sd, E[x²] and sd of x², with
    Monte Carlo errors 0. No chain is run; the file says so."""
    import models
    from samplerbench.environment import library_versions

    data = spec.generate_data(n)
    parameters = spec._module("data").exact_moments(data)
    reference = {
        "model": spec.name, "n": n, "data_sha256": models.data_sha256(data), "data_seed": spec.data_seed,
        "n_meaning": spec.n_meaning,
        "computed_from": {"model": spec.name, "note": "closed form: data.py's exact_moments, no sampling"},
        "backend": CLOSED_FORM,
        "definition": {"exact": True},
        "versions": library_versions(("numpy",)),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "parameters": parameters,
    }
    path = spec.folder / FOLDER / f"n{n}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(reference, indent=1) + "\n")
    return Outcome(path, reference, [])


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
