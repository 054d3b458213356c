"""Error against the reference as a function of work: the yardstick for samplers that ESS cannot
compare (an unadjusted MCLMC chain is biased by its step size, a variational fit has no ESS).

For f = x and f = x², per parameter element,

    b²(f) = (Ê[f] − E[f])² / Var[f]

with Ê the running average of the draws so far (all chains' first k draws pooled) and E, Var
from the model's reference posterior (``E[x] = mean``, ``Var[x] = sd²``; ``E[x²] = mean_x2``,
``Var[x²] = sd_x2²``, samplerbench.tools.reference). Contracted over elements by the max
(``b2_max``) and the mean (``b2_avg``); for an unbiased sampler b² ≈ 1/ESS. The score is the
smallest number of gradient evaluations, warmup and tuning included, after which ``b2_max``
(the larger of x's and x²'s) stays below ``LOW_ERROR`` = 0.01 (about 100 effective draws) to the
end of the run: ``grads_to_low_error``. The definition and the threshold are those of the
MCLMC/MAMS papers' benchmarks (reubenharry/sampler-benchmarks, ``err`` and
``grads_to_low_error``; BlackJAX's ``adaptation/laps.py`` has the same bias function).

Seconds at a point of the trace are seconds into the sampling window, split like time to ESS
(samplerbench.time_to_ess): the warmup's share of ``sampling_s`` in proportion to its gradients
(or as the library reports it), each draw's in proportion to its gradients. An approximate
method (a fit, then independent draws from it) is one point: all of its gradients and seconds,
the error of its draws. Computed in the worker after the timed window closed, never inside it;
imports only NumPy.
"""

from __future__ import annotations

import math

LOW_ERROR = 0.01
GRID_POINTS = 40  # points of the stored trace, geometric in the number of draws


def element_labels(name: str, event_shape: tuple[int, ...]) -> list[str]:
    """ArviZ's labels of a variable's elements, in C order: "mu", "theta[0]", "L[0, 1]"."""
    import numpy as np

    if not event_shape:
        return [name]
    return [f"{name}[{', '.join(str(i) for i in index)}]" for index in np.ndindex(*event_shape)]


def scored_draws(posterior: dict, reference: dict):
    """(labels, draws as chains × draws × elements) of every reference element the run has."""
    import numpy as np

    columns, labels = [], []
    wanted = reference["parameters"]
    for name, values in posterior.items():
        values = np.asarray(values, dtype=float)
        if values.ndim < 2:
            continue
        flat = values.reshape(values.shape[0], values.shape[1], -1)
        for i, label in enumerate(element_labels(name, values.shape[2:])):
            if label in wanted:
                columns.append(flat[:, :, i])
                labels.append(label)
    if not columns:
        return [], None
    return labels, np.stack(columns, axis=-1)


def _b2(estimate, truth, variance):
    import numpy as np

    return np.square(estimate - truth[None, :]) / variance[None, :]


def b2_per_draw(draws, reference: dict, labels: list[str]) -> dict:
    """b2_max and b2_avg of x (and of x², where the reference has its moments) after each number
    of draws k = 1 .. D, all chains pooled; arrays of length D."""
    import numpy as np

    parameters = reference["parameters"]
    chains, length, _ = draws.shape
    count = chains * np.arange(1, length + 1)[:, None]
    mean_x = np.cumsum(draws.sum(axis=0), axis=0) / count
    truth = np.array([parameters[label]["mean"] for label in labels])
    variance = np.array([parameters[label]["sd"] for label in labels]) ** 2
    out = {}
    bx = _b2(mean_x, truth, variance)
    out["b2_max_x"], out["b2_avg_x"] = bx.max(axis=1), bx.mean(axis=1)
    if all("mean_x2" in parameters[label] for label in labels):
        mean_x2 = np.cumsum(np.square(draws).sum(axis=0), axis=0) / count
        truth2 = np.array([parameters[label]["mean_x2"] for label in labels])
        variance2 = np.array([parameters[label]["sd_x2"] for label in labels]) ** 2
        bx2 = _b2(mean_x2, truth2, variance2)
        out["b2_max_x2"], out["b2_avg_x2"] = bx2.max(axis=1), bx2.mean(axis=1)
    out["b2_max"] = np.maximum(out["b2_max_x"], out.get("b2_max_x2", out["b2_max_x"]))
    out["b2_avg"] = np.maximum(out["b2_avg_x"], out.get("b2_avg_x2", out["b2_avg_x"]))
    return out


def first_stays_below(values, threshold: float = LOW_ERROR) -> int | None:
    """The index from which every value is below ``threshold`` to the end; None if the last is not."""
    import numpy as np

    values = np.asarray(values)
    above = np.flatnonzero(~(values < threshold))
    if len(above) == 0:
        return 0
    last = int(above[-1])
    return None if last == len(values) - 1 else last + 1


def seconds_at(grad_evals, record: dict):
    """Seconds into the sampling window after ``grad_evals`` gradients: the warmup's seconds in
    proportion to its gradients, then the draws' (time_to_ess.split_sampling's split)."""
    import numpy as np

    warmup_g = float(record.get("grad_evals_warmup") or 0)
    draws_g = float(record.get("grad_evals") or 0)
    warmup_s = record.get("warmup_s")
    draws_s = record.get("draws_s")
    if warmup_s is None or draws_s is None:
        return np.full(np.shape(grad_evals), np.nan)
    g = np.asarray(grad_evals, dtype=float)
    in_warmup = np.minimum(g, warmup_g) / warmup_g * warmup_s if warmup_g > 0 else np.zeros_like(g) + warmup_s
    in_draws = np.maximum(g - warmup_g, 0) / draws_g * draws_s if draws_g > 0 else np.zeros_like(g)
    return in_warmup + in_draws


def grid(length: int, points: int = GRID_POINTS) -> list[int]:
    """Draw counts 1 .. length, geometric, each once, the last always included."""
    import numpy as np

    return sorted(set(int(k) for k in np.unique(np.geomspace(1, length, points).round())) | {length})


def trace(posterior: dict, n_steps, record: dict, reference: dict, approximate: bool = False) -> dict:
    """The record's error-trace fields: ``error_trace`` (points: draws, grad_evals, sampling_s and
    the b² values), ``b2_functions``, ``b2_max_final``, ``grads_to_low_error`` (None: never),
    ``low_error_sampling_s`` (seconds into the window at that point), and the same for b2_avg.

    ``posterior``: {name: chains × draws × ...}; ``n_steps``: per-draw gradients (chains × draws),
    None for an approximate method, whose draws cost no gradient; ``record``: the run's
    gradient counts and sampling split (``grad_evals_warmup``, ``grad_evals``, ``warmup_s``,
    ``draws_s``)."""
    import numpy as np

    labels, draws = scored_draws(posterior, reference)
    if draws is None:
        return {"error_trace": None, "b2_note": "no parameter of the reference is in the run's draws"}
    per_draw = b2_per_draw(draws, reference, labels)
    length = draws.shape[1]
    warmup_g = float(record.get("grad_evals_warmup") or 0)
    if approximate or n_steps is None:
        cumulative = np.full(length, float(record.get("grad_evals_total") or warmup_g))
        seconds = np.full(length, float(record.get("sampling_s") or math.nan))
        keep = [length]
    else:
        steps = np.asarray(n_steps, dtype=float)
        cumulative = warmup_g + np.cumsum(steps.sum(axis=0))
        seconds = seconds_at(cumulative, record)
        keep = grid(length)
    functions = ["x", "x2"] if "b2_max_x2" in per_draw else ["x"]
    points = []
    for k in keep:
        point = {"draws": k, "grad_evals": int(cumulative[k - 1]), "sampling_s": float(seconds[k - 1])}
        point.update({name: float(values[k - 1]) for name, values in per_draw.items()})
        points.append(point)
    out = {"error_trace": points, "b2_functions": functions, "b2_elements": len(labels),
           "b2_max_final": float(per_draw["b2_max"][-1]), "b2_avg_final": float(per_draw["b2_avg"][-1])}
    for contraction, suffix in (("b2_max", ""), ("b2_avg", "_avg")):
        first = first_stays_below(per_draw[contraction])
        if approximate or n_steps is None:  # one fit, one point: below or not
            first = 0 if first is not None else None
        out[f"grads_to_low_error{suffix}"] = None if first is None else int(cumulative[first])
        out[f"low_error_sampling_s{suffix}"] = None if first is None else float(seconds[first])
    return out


def trace_run(spec, data: dict, idata, record: dict, approximate: bool = False) -> dict:
    """The run's trace against its model's reference for exactly this data ({} without one)."""
    import models
    import numpy as np

    from samplerbench.analysis.accuracy import find

    found = find(spec, models.data_sha256(data))
    if found is None:
        return {"error_trace": None}
    _, reference = found
    dataset = idata["posterior"].to_dataset()
    posterior = {name: np.asarray(dataset[name].values) for name in dataset.data_vars}
    n_steps = None
    if not approximate:
        try:
            stats = idata["sample_stats"].to_dataset()
        except KeyError:
            stats = None
        if stats is None or "n_steps" not in stats:
            return {"error_trace": None, "b2_note": "the run has no per-draw gradient counts (n_steps)"}
        n_steps = stats["n_steps"].values
    return trace(posterior, n_steps, record, reference, approximate)


def lines(frame, model, n) -> dict[tuple[str, str], dict]:
    """The error plot's data, for the PNG and the dashboard alike: per (backend, cache) with traced
    ok runs, the pointwise median over its runs of b2_max against gradients and against seconds
    from process start (import + compile + the rest of end-to-end + seconds into the window)."""
    import numpy as np
    import pandas as pd

    if "error_trace" not in frame:
        return {}
    ok = frame[(frame["model"] == model) & (frame["n"] == n) & (frame["status"] == "ok")]
    out = {}
    for (sampler, cache), group in ok.groupby(["sampler", "cache"], sort=False):
        traces = [(row, t) for _, row in group.iterrows() if isinstance(t := row["error_trace"], list) and t]
        if not traces:
            continue
        length = min(len(t) for _, t in traces)
        grads, seconds, b2 = [], [], []
        for row, points in traces:
            points = points[:length]
            start = sum(float(pd.to_numeric(row.get(k), errors="coerce")) for k in ("import_s", "compile_s"))
            rest = (float(pd.to_numeric(row.get("end_to_end_s"), errors="coerce"))
                    - float(pd.to_numeric(row.get("compile_s"), errors="coerce"))
                    - float(pd.to_numeric(row.get("sampling_s"), errors="coerce")))
            grads.append([p["grad_evals"] for p in points])
            seconds.append([start + max(rest, 0.0) + p["sampling_s"] for p in points])
            b2.append([p["b2_max"] for p in points])
        out[(sampler, cache)] = {"grad_evals": np.median(np.array(grads, dtype=float), axis=0),
                                 "seconds": np.median(np.array(seconds, dtype=float), axis=0),
                                 "b2_max": np.median(np.array(b2, dtype=float), axis=0),
                                 "runs": len(traces)}
    return out
