"""Sampling quality of one run, from its InferenceData, with ArviZ (outside timed code).

Gradient counts come from the libraries themselves: the per-iteration leapfrog step counts
each sampler reports (``n_steps``), for the kept draws and, where the backend exposes them,
for the warmup iterations. ``us_per_grad`` divides the sampling seconds, which cover warmup
and draws, by *all* gradients; a backend that cannot expose its warmup gradients gets
``us_per_grad`` = missing, never a figure with another definition (PROTOCOL).
"""

from __future__ import annotations

import math


def _group(idata, name):
    try:
        return idata[name].to_dataset()
    except KeyError:
        return None


def _stat(dataset, names):
    if dataset is None:
        return None
    for name in names:
        if name in dataset:
            return dataset[name]
    return None


def _sum(values) -> int | None:
    return None if values is None else int(values.sum())


def _max(values) -> float | None:
    return None if values is None else float(values.max())


def settings_seen(idata) -> dict:
    """What the library really did, to check the settings reached it: draws kept per chain,
    warmup iterations, deepest tree, longest trajectory, mean acceptance."""
    posterior = idata["posterior"].to_dataset()
    stats = _group(idata, "sample_stats")
    warmup_stats = _group(idata, "warmup_sample_stats")
    acceptance = _stat(stats, ("acceptance_rate", "mean_tree_accept"))
    return {
        "posterior_chains": int(posterior.sizes.get("chain", 0)),
        "posterior_draws": int(posterior.sizes.get("draw", 0)),
        "warmup_iterations_seen": int(warmup_stats.sizes.get("draw", 0)) if warmup_stats is not None else None,
        "tree_depth_max_seen": _max(_stat(stats, ("tree_depth", "depth"))),
        "warmup_tree_depth_max_seen": _max(_stat(warmup_stats, ("tree_depth", "depth"))),
        "n_steps_max_seen": _max(_stat(stats, ("n_steps",))),
        "acceptance_mean": None if acceptance is None else float(acceptance.mean()),
    }


def _base_name(label: str) -> str:
    return str(label).split("[")[0]


def quality(idata, parameters, sampling_s: float | None, warmup_grad_evals: int | None = None,
            warmup_iterations: int | None = None, diagnosed=None, draws_grad_evals: int | None = None) -> dict:
    """``parameters``: the reported ones (the posterior table); ``diagnosed``: every sampled
    parameter (default: the reported ones), which ESS, R-hat and so time to ESS cover: a
    non-converged parameter left out of the tables must still bar the backend (PROTOCOL).
    ``warmup_grad_evals``/``warmup_iterations``: counted by the backend where the
    InferenceData has no warmup sample stats (the JAX rows). ``draws_grad_evals``: the kept draws'
    gradients where the draws have no ``n_steps`` (an approximate method: 0, its fit is the
    "warmup")."""
    import arviz_stats

    posterior_names = set(idata["posterior"].to_dataset().data_vars)
    diagnosed = [name for name in dict.fromkeys(diagnosed or parameters) if name in posterior_names] or list(parameters)
    every = list(dict.fromkeys([*parameters, *diagnosed]))
    full = arviz_stats.summary(idata, var_names=every, round_to="none")
    base_names = [_base_name(label) for label in full.index]
    reported, diagnosed_set = set(parameters), set(diagnosed)
    summary = full[[name in reported for name in base_names]]
    checked = full[[name in diagnosed_set for name in base_names]]
    stats = _group(idata, "sample_stats")
    grad_evals = _sum(_stat(stats, ("n_steps",)))
    if grad_evals is None:  # an approximate method's draws: the backend says what they cost (none)
        grad_evals = draws_grad_evals
    if warmup_grad_evals is None:
        warmup_grad_evals = _sum(_stat(_group(idata, "warmup_sample_stats"), ("n_steps",)))
    total = grad_evals + warmup_grad_evals if grad_evals is not None and warmup_grad_evals is not None else None
    result = {
        "ess_bulk_min": float(checked["ess_bulk"].min()),
        "ess_tail_min": float(checked["ess_tail"].min()),
        "rhat_max": float(checked["r_hat"].max()),
        "diagnosed_parameters": len(diagnosed),
        "diagnosed_elements": len(checked),
        "worst_rhat_parameter": str(checked["r_hat"].idxmax()) if checked["r_hat"].notna().any() else None,
        "lowest_ess_parameter": str(checked["ess_bulk"].idxmin()) if checked["ess_bulk"].notna().any() else None,
        "divergences": _sum(_stat(stats, ("diverging",))),
        "grad_evals": grad_evals,
        "grad_evals_warmup": warmup_grad_evals,
        "grad_evals_total": total,
        "posterior": {
            str(param): {
                "mean": float(row["mean"]),
                "sd": float(row["sd"]),
                "mcse_mean": float(row["mcse_mean"]),
                "mcse_sd": float(row["mcse_sd"]),
            }
            for param, row in summary.iterrows()
        },
        **settings_seen(idata),
    }
    if result["warmup_iterations_seen"] is None:
        result["warmup_iterations_seen"] = warmup_iterations
    if sampling_s and sampling_s > 0:
        result["ess_per_s"] = result["ess_bulk_min"] / sampling_s
        if total:
            result["us_per_grad"] = sampling_s / total * 1e6
    if total:
        result["ess_per_1k_grad"] = result["ess_bulk_min"] / total * 1000
    for key in ("ess_per_s", "us_per_grad", "ess_per_1k_grad"):
        result.setdefault(key, math.nan)
    return result
