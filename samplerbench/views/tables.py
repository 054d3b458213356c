"""The tables of a report, as pandas frames with formatted cells, from the aggregated table."""

from __future__ import annotations

import math

import pandas as pd

from samplerbench.fields import TIMING_FIELDS, UNMEASURED
from samplerbench.analysis.statistics import loglog_slope
from samplerbench.time_to_ess import time_to_ess_column


def fmt(value, digits=2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _min_median(row, column, digits=2) -> str:
    lo, mid = row[f"{column}_min"], row[f"{column}_median"]
    if isinstance(lo, float) and math.isnan(lo):
        return "–"
    return f"{fmt(lo, digits)} / {fmt(mid, digits)}"


def headline_table(table: pd.DataFrame) -> pd.DataFrame:
    """Like the reference table: minimum over runs, median beside it."""
    out = pd.DataFrame({
        "backend": table["sampler"],
        "language": _column(table, "language").fillna("–"),
        "status": [f"{s} ({ok}/{runs})" if s not in UNMEASURED else s for s, ok, runs in zip(table["status"], table["ok"], table["runs"])],
        "kind": _column(table, "kind").fillna("–"),
        "sampling s (min / median)": [_min_median(r, "sampling_s") for _, r in table.iterrows()],
        "end-to-end s (min / median)": [_min_median(r, "end_to_end_s") for _, r in table.iterrows()],
        "compile s (min / median)": [_min_median(r, "compile_s") for _, r in table.iterrows()],
        "import s (min)": [fmt(v) for v in table["import_s_min"]],
        "process s (min)": [fmt(v) for v in table["process_s_min"]],
        "ESS bulk min (median)": [fmt(v, 0) for v in table["ess_bulk_min_median"]],
        "ESS/s (median)": [fmt(v, 0) for v in table["ess_per_s_median"]],
        "µs / grad (× floor)": [
            "–" if u != u else (f"{u:.1f} ({x:.1f}×)" if x == x else f"{u:.1f}")
            for u, x in zip(table["us_per_grad_median"], table["overhead_x_floor"])
        ],
        "peak MiB (median)": [fmt(v, 0) for v in _column(table, "peak_pss_mib_median")],
    })
    return out


def _column(table: pd.DataFrame, name: str) -> pd.Series:
    """A column of the aggregated table, all missing when the records predate it."""
    return table[name] if name in table else pd.Series([math.nan] * len(table), index=table.index)


def time_to_ess_table(table: pd.DataFrame, targets) -> pd.DataFrame:
    """Time to each target ESS (median, and min–max over runs) with the parts it is made of."""
    out = pd.DataFrame({
        "backend": table["sampler"],
        "fixed s (import + compile + warmup + rest)": [fmt(v) for v in _column(table, "fixed_s_median")],
        "warmup s / draws s": [f"{fmt(w)} / {fmt(d)}" if w == w else "–"
                               for w, d in zip(_column(table, "warmup_s_median"), _column(table, "draws_s_median"))],
        "draws ESS/s": [fmt(v, 0) for v in _column(table, "draws_ess_per_s_median")],
    })
    for target in targets:
        column = time_to_ess_column(target)
        out[f"to {target:,} ESS s (median [min–max])"] = [
            "–" if m != m else f"{fmt(m)} [{fmt(lo)}–{fmt(hi)}]"
            for m, lo, hi in zip(_column(table, f"{column}_median"), _column(table, f"{column}_min"),
                                 _column(table, f"{column}_max"))
        ]
    out["split by"] = [s or "–" for s in (table["phase_split"] if "phase_split" in table else [""] * len(table))]
    out["unstable (sd / mean > 10 %)"] = [u or "–" for u in (table["unstable"] if "unstable" in table else [""] * len(table))]
    return out


def has_error_traces(table: pd.DataFrame) -> bool:
    """Whether any row's runs carry an error trace (records before issue 26, or without a
    reference, have none)."""
    return bool(pd.to_numeric(_column(table, "b2_max_final_median"), errors="coerce").notna().any())


def error_table(table: pd.DataFrame) -> pd.DataFrame:
    """Error against the reference per work: gradients (warmup included) and seconds from process
    start until b² stays below 0.01, and b² at the end of the run (median [min–max] over runs)."""
    def spread(column, digits, comma=False):
        cells = []
        for m, lo, hi in zip(_column(table, f"{column}_median"), _column(table, f"{column}_min"),
                             _column(table, f"{column}_max")):
            if m != m:
                cells.append("never")
            elif comma:
                cells.append(f"{m:,.0f} [{lo:,.0f}–{hi:,.0f}]")
            else:
                cells.append(f"{m:.{digits}f} [{lo:.{digits}f}–{hi:.{digits}f}]")
        return cells

    reached = [f"{int(r)}/{int(t)}" for r, t in zip(
        _column(table, "low_error_runs").fillna(0), _column(table, "traced_runs").fillna(0))]
    return pd.DataFrame({
        "backend": table["sampler"],
        "kind": _column(table, "kind").fillna("–"),
        "runs below 0.01": reached,
        "gradients to b² < 0.01": spread("grads_to_low_error", 0, comma=True),
        "s from process start to b² < 0.01": spread("time_to_low_error_s", 2),
        "b²_max at the end": [f"{m:.2g}" if m == m else "–" for m in _column(table, "b2_max_final_median")],
        "gradients in all": [fmt(v, 0) for v in _column(table, "grad_evals_total_median")],
    })


def spread_table(table: pd.DataFrame) -> pd.DataFrame:
    """Every timing as min / median / max, for the ok runs."""
    out = pd.DataFrame({"backend": table["sampler"]})
    for column in TIMING_FIELDS:
        out[column.removesuffix("_s") + " s (min / med / max)"] = [
            "–" if math.isnan(r[f"{column}_min"]) else
            f"{fmt(r[f'{column}_min'])} / {fmt(r[f'{column}_median'])} / {fmt(r[f'{column}_max'])}"
            for _, r in table.iterrows()
        ]
    return out


def quality_table(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "backend": table["sampler"],
        "ESS bulk min": [fmt(v, 0) for v in table["ess_bulk_min_median"]],
        "ESS tail min": [fmt(v, 0) for v in table["ess_tail_min_median"]],
        "R-hat max": [fmt(v, 3) for v in table["rhat_max_median"]],
        "divergences": [fmt(v, 0) for v in table["divergences_median"]],
        "gradient evals (warmup + draws)": [
            "–" if d != d else (f"{fmt(w, 0)} + {fmt(d, 0)}" if w == w else f"? + {fmt(d, 0)}")
            for w, d in zip(table["grad_evals_warmup_median"], table["grad_evals_median"])
        ],
        "µs / gradient": [fmt(v, 1) for v in table["us_per_grad_median"]],
        "× floor": [fmt(v, 2) if v == v and v < 1 else fmt(v, 1) for v in table["overhead_x_floor"]],
        "ESS / 1k grad": [fmt(v, 1) for v in table["ess_per_1k_grad_median"]],
        "warnings": [w or "–" for w in table["warnings"]],
        "agreement": ["–" if s in UNMEASURED or ok == 0 else ("DISAGREES " + d if d else "agrees")
                      for s, ok, d in zip(table["status"], table["ok"], table["disagreement"])],
        "accuracy (vs reference)": [_accuracy_cell(a, w) for a, w in zip(_column(table, "accuracy"), _column(table, "accuracy_worst"))],
    })


def _accuracy_cell(accuracy, worst) -> str:
    if not isinstance(accuracy, str) or not accuracy:
        return "–"
    return f"{accuracy.upper() if accuracy.startswith('biased') else accuracy}; worst {worst}"


POSTERIOR_ROWS = 16  # a compact table: the rest is in the posterior CSV


def posterior_rows(frame: pd.DataFrame, model, n) -> pd.DataFrame:
    """Long form, one row per (backend, parameter element): the mean and sd pooled over the ok
    runs (mean of the run means, mean of the run sds), the reference's where the runs were
    scored, and the error of the mean in reference sds. The CSV's and the table's one source."""
    ok = frame[(frame["model"] == model) & (frame["n"] == n) & (frame["status"] == "ok")]
    rows = []
    for sampler, runs in ok.groupby("sampler", sort=False):
        per_param: dict[str, list[dict]] = {}
        references: dict[str, dict] = {}
        for _, run in runs.iterrows():
            if isinstance(run.get("posterior"), dict):
                for name, stats in run["posterior"].items():
                    per_param.setdefault(name, []).append(stats)
            if isinstance(run.get("accuracy_parameters"), dict):
                references.update(run["accuracy_parameters"])
        for name, values in per_param.items():
            ref = references.get(name, {})
            mean = float(pd.Series([v.get("mean") for v in values], dtype=float).mean())
            sd = float(pd.Series([v.get("sd") for v in values], dtype=float).mean())
            rows.append({"model": model, "n": n, "sampler": sampler, "parameter": name, "runs": len(values),
                         "mean": mean, "sd": sd, "ref_mean": ref.get("ref_mean", math.nan),
                         "ref_sd": ref.get("ref_sd", math.nan),
                         "mean_error_sd": (mean - ref["ref_mean"]) / ref["ref_sd"] if ref else math.nan})
    return pd.DataFrame(rows)


def posterior_table(rows: pd.DataFrame, table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Parameters down, backends across: mean ± sd, the reference first; a last row with each
    backend's accuracy. Returns the table and how many parameter elements were left out."""
    if rows.empty:
        return pd.DataFrame(), 0
    params = list(dict.fromkeys(rows["parameter"]))
    shown, hidden = params[:POSTERIOR_ROWS], max(0, len(params) - POSTERIOR_ROWS)
    out = pd.DataFrame({"parameter": shown})
    reference = rows.dropna(subset=["ref_mean"]).drop_duplicates("parameter").set_index("parameter")
    if not reference.empty:
        out["reference"] = [f"{reference.at[p, 'ref_mean']:.3g} ± {reference.at[p, 'ref_sd']:.3g}"
                            if p in reference.index else "–" for p in shown]
    for sampler, part in rows.groupby("sampler", sort=False):
        part = part.set_index("parameter")
        out[sampler] = [f"{part.at[p, 'mean']:.3g} ± {part.at[p, 'sd']:.3g}" if p in part.index else "–" for p in shown]
    accuracy = {}
    for _, row in table.iterrows():
        accuracy.setdefault(row["sampler"], []).append(row.get("accuracy") or "")
    last = {"parameter": "accuracy", **({"reference": ""} if "reference" in out else {})}
    for sampler in out.columns[2 if "reference" in out else 1:]:
        found = [a for a in accuracy.get(sampler, []) if a]
        last[sampler] = "; ".join(dict.fromkeys(found)) or "no reference"
    return pd.concat([out, pd.DataFrame([last])], ignore_index=True), hidden


SCALING_METRICS = (
    ("compile_s", "compile s"), ("sampling_s", "sampling s"),
    ("end_to_end_s", "end-to-end s"), ("ess_per_s", "ESS/s"),
)


def scaling_table(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Backends × n of one metric's median, with the log-log slope over n."""
    ns = sorted(table["n"].unique())
    rows = []
    for name, part in table.groupby("sampler", sort=False):
        by_n = part.set_index("n")[f"{metric}_median"]
        values = [float(by_n.get(n, math.nan)) for n in ns]
        row = {"backend": name}
        row.update({f"n = {n:,}": fmt(v, 0 if metric == "ess_per_s" else 2) for n, v in zip(ns, values)})
        slope = loglog_slope(ns, values)
        row["grows like n^k, k ="] = fmt(slope, 2)
        rows.append(row)
    return pd.DataFrame(rows)


def answer_table(table: pd.DataFrame, targets) -> pd.DataFrame:
    """For a terminal: per backend and cache mode, the median time to each target ESS, the
    draws' ESS rate and peak memory."""
    out = pd.DataFrame({"backend": table["sampler"], "cache": table["cache"]})
    for target in targets:
        out[f"to {target:,} ESS s"] = [fmt(v) for v in _column(table, f"{time_to_ess_column(target)}_median")]
    out["draws ESS/s"] = [fmt(v, 0) for v in _column(table, "draws_ess_per_s_median")]
    out["peak MiB"] = [fmt(v, 0) for v in _column(table, "peak_pss_mib_median")]
    return out


def all_posterior_rows(summary) -> pd.DataFrame:
    """``posterior_rows`` of every (model, n) of a sweep: the posterior CSV."""
    frame = summary.frame
    keys = frame[frame["status"] == "ok"][["model", "n"]].drop_duplicates()
    parts = [posterior_rows(frame, model, n) for model, n in keys.itertuples(index=False)]
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def density_note(frame: pd.DataFrame, model: str, n: int, cache: str) -> list[str]:
    """Density evaluations without a gradient (Pathfinder's ELBO estimates), which the tables'
    gradient counts leave out, said per backend that has them."""
    if "density_evals" not in frame:
        return []
    cell = frame[(frame["model"] == model) & (frame["n"] == n) & (frame["cache"] == cache)
                 & (frame["status"] == "ok")]
    counted = cell.assign(density=pd.to_numeric(cell["density_evals"], errors="coerce")).dropna(subset=["density"])
    return [f"**{sampler}** also evaluated the log density {runs['density'].median():,.0f} times per run (median) "
            "without a gradient (its ELBO estimates and the pool it resamples from), beside the gradients "
            "the tables count." for sampler, runs in counted.groupby("sampler", sort=False)] + ([""] if len(counted) else [])
