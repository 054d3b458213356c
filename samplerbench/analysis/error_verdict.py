"""The verdict's sentence in terms of error against the reference (issue 26): which MCMC backend's
error first stays below ``LOW_ERROR`` (b² of x and x², samplerbench.analysis.error_trace), from
process start, with the significance rule the other sentences use; beside it, how each method
that may not win (an approximation, a biased MCMC) did: its time and gradients, or its error
floor. The eligibility rules are the verdict's (samplerbench.analysis.verdict)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from samplerbench.analysis.error_trace import LOW_ERROR
from samplerbench.analysis.statistics import Summary
from samplerbench.analysis.uncertainty import compare_runs
from samplerbench.analysis.verdict import (
    CACHE_WORDS, KIND_WORDS, _barred_faster, _eligible, _ok_runs, _once_per_summary, _ranked, _values,
)


def _low_error_reach(runs: pd.DataFrame, name: str) -> tuple[int, int, float, float]:
    """(runs that got below the line, runs with a trace, the median final b² of the runs that did
    not (of all, when every run did), median gradients)."""
    mine = runs[runs["sampler"] == name]
    reached = pd.to_numeric(mine["grads_to_low_error"], errors="coerce").dropna()
    final = pd.to_numeric(mine["b2_max_final"], errors="coerce")
    traced = final.notna()
    final = final[traced & pd.to_numeric(mine["grads_to_low_error"], errors="coerce").isna()] \
        if len(reached) < traced.sum() else final[traced]
    traced_count = int(traced.sum())
    total = pd.to_numeric(mine["grad_evals_total"], errors="coerce").dropna()
    return len(reached), traced_count, float(final.median()) if len(final) else math.nan, \
        float(total.median()) if len(total) else math.nan


def _beside(runs: pd.DataFrame, name: str, kind: str) -> str:
    """How a method that may not win did, in the low-error sentence's terms."""
    reached, traced, final, total = _low_error_reach(runs, name)
    label = f"**{name}** ({kind})"
    if traced and reached == traced:
        seconds = float(np.median(_values(runs, name, "time_to_low_error_s")))
        grads = float(np.median(_values(runs, name, "grads_to_low_error")))
        return f"{label} {seconds:.2f} s, {grads:,.0f} gradients"
    runs_text = f" in {traced - reached}/{traced} runs" if reached else ""
    return f"{label} never{runs_text}: error floor b² {final:.2g} after {total:,.0f} gradients"


@_once_per_summary
def fastest_to_low_error(summary: Summary, model, n, cache: str) -> str | None:
    """One sentence: which MCMC backend's error against the reference first stays below
    LOW_ERROR, counted from process start; beside it, how every approximate or biased method did
    (samplerbench.analysis.error_trace). None without error traces (no reference)."""
    runs = _ok_runs(summary, model, n, cache)
    if "b2_max_final" not in runs or not pd.to_numeric(runs["b2_max_final"], errors="coerce").notna().any():
        return None
    eligible, barred = _eligible(summary, model, n, cache)
    table = summary.table
    kinds = dict(zip(table.loc[(table["model"] == model) & (table["n"] == n), "sampler"],
                     table.loc[(table["model"] == model) & (table["n"] == n), "kind"]))
    never = {}
    for name in list(eligible):
        reached, traced, final, total = _low_error_reach(runs, name)
        if not traced or reached < traced:
            never[name] = (f"never in {traced - reached}/{traced} runs: error floor b² {final:.2g}" if traced
                           else "no error trace")
            eligible.remove(name)
    functions = {tuple(f) for f in runs.get("b2_functions", pd.Series(dtype=object)).dropna() if isinstance(f, list)}
    of = "x and x²" if functions == {("x", "x2")} else "x" if functions == {("x",)} else "x (and x² where known)"
    what = f"to an error b² < {LOW_ERROR:g} against the reference (of {of}, the worst element)"
    order, medians = _ranked(runs, eligible, "time_to_low_error_s")
    beside = [_beside(runs, name, kinds.get(name, "–")) for name in dict.fromkeys(runs["sampler"])
              if kinds.get(name) in KIND_WORDS]
    if not order:
        text = f"{CACHE_WORDS.get(cache, cache)}, {what}: no MCMC backend qualifies"
        reasons = [f"**{name}**: {why}" for name, why in {**never, **barred}.items() if kinds.get(name) not in KIND_WORDS]
        text += (": " + "; ".join(reasons)) if reasons else ""
    else:
        best = order[0]
        grads = float(np.median(_values(runs, best, "grads_to_low_error")))
        count = len(_values(runs, best, "time_to_low_error_s"))
        text = (f"{CACHE_WORDS.get(cache, cache)}, {what}, **{best}** gets there first: {medians[best]:.2f} s "
                f"from process start, {grads:,.0f} gradients ({f'median of {count} runs' if count > 1 else 'one run'})")
        if len(order) > 1:
            second = order[1]
            test = compare_runs(_values(runs, best, "time_to_low_error_s"), _values(runs, second, "time_to_low_error_s"),
                                summary.alpha)
            text += (f"; next is **{second}** at {medians[second]:.2f} s, {test.ratio:.2f}× as long "
                     f"({test.interval_text()}): {test.verdict_text()}")
        else:
            text += ", the only MCMC backend that qualifies"
        if never:
            text += "; " + "; ".join(f"**{name}** {why}" for name, why in never.items())
        text += "." + _barred_faster({name: why for name, why in barred.items() if kinds.get(name) not in KIND_WORDS},
                                     runs, "time_to_low_error_s", medians[best], highest_first=False)
        text = text.rstrip(".")
    if beside:
        text += (". Beside it, not as it" if order else ". Methods that are not exact MCMC, never named a winner") \
            + ": " + "; ".join(beside)
    return text + "."
