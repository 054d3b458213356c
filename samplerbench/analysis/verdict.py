"""The answer, stated outright, from a ``Summary``: per model and n, which backend reaches the
headline ESS first from a cold start and on a re-run, which gains ESS fastest once compiled,
whether the runner-up really differs (samplerbench.analysis.uncertainty), and where the break-even
lines of time against ESS needed cross.

Only backends whose posterior agrees with the other languages' (voted per model file), is not
biased against the model's reference posterior (where there is one), none of whose runs failed,
that had no divergent transition in any run and whose chains converged in every run (worst
R-hat ≤ 1.01) can win, in every cache mode a sentence pools; a faster backend that fails that is
named as such, never as the winner.
"""

from __future__ import annotations

import functools

import math

import numpy as np
import pandas as pd

from samplerbench.analysis.statistics import RHAT_LIMIT, Summary
from samplerbench.fields import KIND_WORDS, MCMC
from samplerbench.time_to_ess import headline_target, time_to_ess_column
from samplerbench.analysis.uncertainty import compare_runs

CACHE_WORDS = {
    "cold": "From a cold start (a new or changed model)",
    "warm": "On a re-run (warm compile caches)",
}
BREAK_EVEN_RANGE = (100, 100_000)  # ESS needed, the x axis of the break-even plot





def _once_per_summary(function):
    """The answer of ``function`` for these arguments, computed once per Summary: the markdown
    report, its plots, the terminal summary and the dashboard read one verdict (issue 29), and
    the bootstraps behind it are the expensive part."""
    @functools.wraps(function)
    def once(summary, *args, **kwargs):
        key = (function.__name__, args, tuple(sorted(kwargs.items())))
        if key not in summary.verdicts:
            summary.verdicts[key] = function(summary, *args, **kwargs)
        return summary.verdicts[key]

    return once


def _ok_runs(summary: Summary, model, n, cache=None) -> pd.DataFrame:
    frame = summary.frame
    mask = (frame["model"] == model) & (frame["n"] == n) & (frame["status"] == "ok")
    if cache is not None:
        mask &= frame["cache"] == cache
    return frame[mask]


def _eligible(summary: Summary, model, n, cache=None) -> tuple[list[str], dict[str, str]]:
    """Backends that may win, and why the others with ok runs may not. With ``cache=None``
    (cold and warm runs pooled) a backend barred in either mode is barred (PROTOCOL, "Who may
    win": in any run it is pooled over)."""
    table = summary.table
    part = table[(table["model"] == model) & (table["n"] == n) & (table["ok"] > 0)]
    if cache is not None:
        part = part[part["cache"] == cache]
    eligible, barred = [], {}
    for _, row in part.iterrows():
        why = _barred_because(row)
        if why:
            mode = f" (its {row['cache']} runs)" if cache is None else ""
            barred.setdefault(row["sampler"], why + mode)
        elif row["sampler"] not in eligible:
            eligible.append(row["sampler"])
    return [name for name in eligible if name not in barred], barred


def _barred_because(row) -> str:
    """Why this (backend, cache) row may not win, or "" (PROTOCOL, "Who may win")."""
    kind = row.get("kind", MCMC)
    if kind in KIND_WORDS:
        return f"it is {KIND_WORDS[kind]}: judged by its error against the reference, named beside the winner, never as it"
    if str(row.get("accuracy", "")).startswith("biased"):
        return f"its posterior is biased against the reference ({row['accuracy']}; worst {row['accuracy_worst']})"
    if row["status"] == "disagrees":
        return str(row["disagreement"]).split(": vs ")[0]
    failed = row.get("failed_runs", 0) or 0
    if failed:
        return f"{failed}/{row['runs']} runs failed ({row['reason']}), so its time is that of the runs that survived"
    if row["divergent_runs"] > 0:
        return (f"it had divergent transitions in {row['divergent_runs']}/{row['ok']} runs "
                f"(it could not explore part of the posterior, so its estimates may be biased)")
    worst = row.get("rhat_max_worst", row.get("rhat_max_median"))
    if worst > RHAT_LIMIT:
        return f"its chains did not converge in every run (worst R-hat {worst:.3f})"
    return ""


def _values(runs: pd.DataFrame, sampler: str, column: str) -> list[float]:
    values = pd.to_numeric(runs.loc[runs["sampler"] == sampler, column], errors="coerce").dropna()
    return [float(v) for v in values]


def _ranked(runs: pd.DataFrame, names: list[str], column: str, highest_first: bool = False):
    medians = {name: float(np.median(v)) for name in names if (v := _values(runs, name, column))}
    return sorted(medians, key=medians.get, reverse=highest_first), medians


def _barred_faster(barred: dict, runs, column, best: float, highest_first: bool) -> str:
    notes = []
    for name, why in barred.items():
        values = _values(runs, name, column)
        if values and (np.median(values) > best if highest_first else np.median(values) < best):
            notes.append(f" **{name}** measured better but is not a winner: {why}.")
    return "".join(notes)


def _nobody(what: str, barred: dict) -> str | None:
    if not barred:
        return None
    return f"{what}: no backend qualifies: " + "; ".join(f"**{name}**: {why}" for name, why in barred.items()) + "."


def _leader(summary: Summary, model, n, cache, column: str, highest_first: bool):
    """The best eligible backend by the median of ``column``, the runner-up and the test of
    the runner-up against it (None where there is no runner-up); None when none qualifies."""
    runs = _ok_runs(summary, model, n, cache)
    eligible, barred = _eligible(summary, model, n, cache)
    order, medians = _ranked(runs, eligible, column, highest_first)
    if not order:
        return None, barred
    best, second = order[0], (order[1] if len(order) > 1 else None)
    # The ratio is always "how many times better the leader is", so above 1.
    test = None if second is None else (
        compare_runs(_values(runs, second, column), _values(runs, best, column), summary.alpha) if highest_first
        else compare_runs(_values(runs, best, column), _values(runs, second, column), summary.alpha))
    barred_note = _barred_faster(barred, runs, column, medians[best], highest_first)
    return (best, second, medians, test, len(_values(runs, best, column)), barred_note), barred


@_once_per_summary
def fastest_to_ess(summary: Summary, model, n, cache: str) -> str | None:
    """One sentence: which backend reaches the headline ESS first in this cache mode."""
    target = headline_target(summary.ess_targets)
    found, barred = _leader(summary, model, n, cache, time_to_ess_column(target), highest_first=False)
    if found is None:
        return _nobody(f"{CACHE_WORDS.get(cache, cache)}, to {target:,} bulk ESS", barred)
    best, second, medians, test, runs, barred_note = found
    text = (f"{CACHE_WORDS.get(cache, cache)}, **{best}** reaches {target:,} bulk ESS first: "
            f"{medians[best]:.2f} s ({f'median of {runs} runs' if runs > 1 else 'one run'})")
    if second is None:
        text += ", the only backend that qualifies"
    else:
        text += (f"; next is **{second}** at {medians[second]:.2f} s, {test.ratio:.2f}× as long "
                 f"({test.interval_text()}): {test.verdict_text()}")
    return text + "." + barred_note


@_once_per_summary
def fastest_draws(summary: Summary, model, n) -> str | None:
    """One sentence: which backend gains ESS fastest once compiled and warmed up (cold and
    warm runs pooled: the draws do not depend on the cache mode)."""
    found, barred = _leader(summary, model, n, None, "draws_ess_per_s", highest_first=True)
    if found is None:
        return _nobody("Once compiled, fastest draws", barred)
    best, second, medians, test, _, barred_note = found
    text = (f"Once compiled and warmed up, **{best}** gains ESS fastest: {medians[best]:,.0f} bulk ESS "
            f"per second of drawing (median)")
    if second is not None:
        text += (f", {test.ratio:.2f}× **{second}**'s {medians[second]:,.0f} "
                 f"({test.interval_text()}): {test.verdict_text()}")
    return text + "." + barred_note


def run_times(summary: Summary, model, n, cache, sampler, ess: np.ndarray) -> np.ndarray:
    """Each ok run's time_to_ess (runs × ESS values), from its fixed cost and draws' ESS rate:
    the same per-run definition as the tables, for the plot, its crossings and their tests."""
    runs = _ok_runs(summary, model, n, cache)
    runs = runs[runs["sampler"] == sampler]
    fixed = pd.to_numeric(runs["fixed_s"], errors="coerce").to_numpy(dtype=float)
    rate = pd.to_numeric(runs["draws_ess_per_s"], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(fixed) & np.isfinite(rate) & (rate > 0)
    return fixed[keep, None] + np.asarray(ess, dtype=float)[None, :] / rate[keep, None]


def curves(summary: Summary, model, n, cache, sampler, ess: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, min and max over the runs of time_to_ess at every ESS in ``ess``, so the plot and
    the tables agree at every target."""
    times = run_times(summary, model, n, cache, sampler, ess)
    if not len(times):
        nan = np.full(len(ess), np.nan)
        return nan, nan, nan
    return np.median(times, axis=0), times.min(axis=0), times.max(axis=0)


@_once_per_summary
def break_even_lines(summary: Summary, model, n, points: int = 200) -> tuple[np.ndarray, dict[tuple[str, str], tuple]]:
    """The break-even plot's data, for the PNG and the dashboard alike: the ESS grid and, per
    (backend, cache) with ok runs, the median, min and max of ``curves`` on it."""
    ess = np.geomspace(*BREAK_EVEN_RANGE, points)
    table = summary.table
    part = table[(table["model"] == model) & (table["n"] == n) & (table["ok"] > 0)] if not table.empty else table
    lines = {}
    for _, row in part.iterrows():
        line = curves(summary, model, n, row["cache"], row["sampler"], ess)
        if np.isfinite(line[0]).all():
            lines[(row["sampler"], row["cache"])] = line
    return ess, lines


@_once_per_summary
def fastest_segments(summary: Summary, model, n, cache) -> list[tuple[str, float, float]]:
    """The lower envelope of the break-even lines: (backend, from ESS, to ESS) in order, with
    the crossings found exactly (Brent's method between grid points)."""
    from scipy.optimize import brentq

    eligible, _ = _eligible(summary, model, n, cache)
    lo, hi = BREAK_EVEN_RANGE
    grid = np.geomspace(lo, hi, 400)
    lines = {name: curves(summary, model, n, cache, name, grid)[0] for name in eligible}
    lines = {name: line for name, line in lines.items() if np.isfinite(line).all()}
    if not lines:
        return []
    names = list(lines)
    best = np.argmin(np.vstack([lines[name] for name in names]), axis=0)
    segments, start = [], lo
    for i in range(1, len(grid)):
        if best[i] != best[i - 1]:
            a, b = names[best[i - 1]], names[best[i]]

            def gap(log_ess, a=a, b=b):
                point = np.array([math.exp(log_ess)])
                return curves(summary, model, n, cache, a, point)[0][0] - curves(summary, model, n, cache, b, point)[0][0]

            crossing = math.exp(brentq(gap, math.log(grid[i - 1]), math.log(grid[i])))
            segments.append((a, start, crossing))
            start = crossing
    segments.append((names[best[-1]], start, hi))
    return segments


def _about(ess: float) -> str:
    """A crossing to two significant digits: where two medians cross is not known better."""
    digits = max(0, int(math.floor(math.log10(ess))) - 1)
    return f"{round(ess, -digits):,.0f}"


@_once_per_summary
def measured_ess(summary: Summary, model, n) -> dict[tuple[str, str], float]:
    """(backend, cache) -> the largest bulk ESS any of its runs reached: its break-even line
    beyond that is extrapolated from the measured rate (PROTOCOL)."""
    runs = _ok_runs(summary, model, n)
    out = {}
    for (sampler, cache), group in runs.groupby(["sampler", "cache"], sort=False):
        values = pd.to_numeric(group["ess_bulk_min"], errors="coerce").dropna()
        if len(values):
            out[(sampler, cache)] = float(values.max())
    return out


CROSSING_GRID_POINTS = 49  # ESS values tested on each side of a crossing, log-spaced over the range


@_once_per_summary
def indistinguishable_range(summary: Summary, model, n, cache, a: str, b: str, crossing: float) -> tuple[float, float]:
    """The ESS range around a crossing of a's and b's lines where the verdict's rule (bootstrap
    CI of the ratio and Mann-Whitney, samplerbench.analysis.uncertainty) cannot tell their times apart."""
    lo, hi = BREAK_EVEN_RANGE
    grid = np.geomspace(lo, hi, CROSSING_GRID_POINTS)

    def same(ess: float) -> bool:
        return not compare_runs(run_times(summary, model, n, cache, a, [ess])[:, 0],
                                run_times(summary, model, n, cache, b, [ess])[:, 0], summary.alpha).differ

    start = int(np.searchsorted(grid, crossing))
    low, high = crossing, crossing
    for ess in grid[:start][::-1]:
        if not same(ess):
            break
        low = float(ess)
    for ess in grid[start:]:
        if not same(ess):
            break
        high = float(ess)
    return low, high


@_once_per_summary
def break_even_sentence(summary: Summary, model, n, cache) -> str | None:
    segments = fastest_segments(summary, model, n, cache)
    if not segments:
        return None
    lo, hi = BREAK_EVEN_RANGE
    mode = "cold" if cache == "cold" else "warm"
    if len(segments) == 1:
        return f"{mode.capitalize()}: **{segments[0][0]}** is fastest for any ESS from {lo:,} to {hi:,}."
    parts = [f"**{segments[0][0]}** up to about {_about(segments[0][2])} ESS"]
    parts += [f"then **{name}**" + (f" up to about {_about(end)}" if end < hi else "") for name, _, end in segments[1:]]
    text = f"{mode.capitalize()}: fastest is " + ", ".join(parts) + f" (ESS needed from {lo:,} to {hi:,})"
    reached = measured_ess(summary, model, n)
    crossings = []
    for (a, _, crossing), (b, _, _) in zip(segments, segments[1:]):
        low, high = indistinguishable_range(summary, model, n, cache, a, b, crossing)
        limit = min(reached.get((a, cache), math.inf), reached.get((b, cache), math.inf))
        words = f"**{a}** and **{b}** cannot be told apart from about {_about(low)} to {_about(high)} ESS"
        if crossing > limit:
            words += (f", and they cross beyond the largest ESS measured ({limit:,.0f}), where both lines are "
                      "extrapolated from the measured rates")
        crossings.append(words)
    return text + ". Where the lines cross: " + "; ".join(crossings) + "."


@_once_per_summary
def break_even_table(summary: Summary, model, n) -> pd.DataFrame:
    rows = []
    for cache in summary.frame.loc[(summary.frame["model"] == model) & (summary.frame["n"] == n), "cache"].dropna().unique():
        for name, start, end in fastest_segments(summary, model, n, cache):
            at = np.array([start, end])
            median = curves(summary, model, n, cache, name, at)[0]
            rows.append({"cache": cache, "ESS needed": f"{_about(start)} – {_about(end)}", "fastest backend": name,
                         "seconds at either end (median)": f"{median[0]:.2f} – {median[1]:.2f}"})
    return pd.DataFrame(rows)


@_once_per_summary
def model_verdict(summary: Summary, model, n) -> list[str]:
    """The sentences that open a model's section: cold, warm, once compiled, where lines cross."""
    caches = [c for c in ("cold", "warm") if ((summary.frame["model"] == model) & (summary.frame["n"] == n)
                                              & (summary.frame["cache"] == c)).any()]
    sentences = [fastest_to_ess(summary, model, n, cache) for cache in caches]
    sentences.append(fastest_draws(summary, model, n))
    from samplerbench.analysis.error_verdict import fastest_to_low_error  # it builds on this module

    sentences += [fastest_to_low_error(summary, model, n, cache) for cache in caches]
    sentences += [break_even_sentence(summary, model, n, cache) for cache in caches]
    return [s for s in sentences if s]


def terminal_verdict(summary: Summary) -> str:
    blocks = []
    frame = summary.frame
    if frame.empty:
        return ""
    for (model, n), _ in frame.groupby(["model", "n"], sort=False):
        sentences = model_verdict(summary, model, n)
        if sentences:
            blocks.append(f"verdict, {model}, n = {n}:\n" + "\n".join(f"- {s.replace('**', '')}" for s in sentences))
    return "\n\n".join(blocks)
