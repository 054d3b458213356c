"""Sampling quality of one run, from its InferenceData, with ArviZ (outside timed code)."""

from __future__ import annotations

import math


def _group(idata, name):
    try:
        return idata[name].to_dataset()
    except KeyError:
        return None


def _stat_sum(dataset, names) -> int | None:
    if dataset is None:
        return None
    for name in names:
        if name in dataset:
            return int(dataset[name].sum())
    return None


def quality(idata, parameters, sampling_s: float | None) -> dict:
    import arviz_stats

    summary = arviz_stats.summary(idata, var_names=list(parameters), round_to="none")
    stats = _group(idata, "sample_stats")
    warmup_stats = _group(idata, "warmup_sample_stats")
    grad_evals = _stat_sum(stats, ("n_steps",))
    result = {
        "ess_bulk_min": float(summary["ess_bulk"].min()),
        "ess_tail_min": float(summary["ess_tail"].min()),
        "rhat_max": float(summary["r_hat"].max()),
        "divergences": _stat_sum(stats, ("diverging",)),
        "grad_evals": grad_evals,
        "grad_evals_warmup": _stat_sum(warmup_stats, ("n_steps",)),
        "posterior": {
            str(param): {
                "mean": float(row["mean"]),
                "sd": float(row["sd"]),
                "mcse_mean": float(row["mcse_mean"]),
            }
            for param, row in summary.iterrows()
        },
    }
    if sampling_s and sampling_s > 0:
        result["ess_per_s"] = result["ess_bulk_min"] / sampling_s
        if grad_evals:
            result["us_per_grad"] = sampling_s / grad_evals * 1e6
    for key in ("ess_per_s", "us_per_grad"):
        result.setdefault(key, math.nan)
    return result
