"""PNG plots of an aggregated table (the output of ``report.aggregate``), made with matplotlib.

- times: per backend one horizontal bar, compile + sampling + the rest of end-to-end stacked
  (medians over the ok runs), one panel per n;
  the label adds the run's peak memory (whole process tree, median);
- break-even: seconds to reach an ESS against the ESS needed, log-log, one line per backend,
  cold solid and warm dashed;
- error: b²_max against the error (issue 26) against gradients and against seconds from process
  start, log-log, one line per backend (median over runs), cold solid and warm dashed, the 0.01
  line drawn; an approximate method is one point;
- scaling (sweeps over several n): compile, sampling and end-to-end seconds and ESS/s against
  n on log-log axes, one line per backend, the band spanning min to max over runs.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import matplotlib

matplotlib.use("Agg")  # files only: no display needed, and no GUI toolkit imported
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402
import pandas as pd  # noqa: E402

SEGMENTS = (  # (legend label, colour), in stacking order: compile, sampling, rest
    ("compile", "#4c72b0"),
    ("sampling", "#dd8452"),
    ("rest of end-to-end (model build, data transfer, conversion)", "#c7c7c7"),
)
SCALING_PANELS = (
    ("compile_s", "compile time (s)"),
    ("sampling_s", "sampling time (s)"),
    ("end_to_end_s", "end-to-end time (s)"),
    ("ess_per_s", "ESS/s (bulk, slowest parameter)"),
)


def _finite(value) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def backend_colours(samplers: list[str]) -> dict[str, str]:
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {name: cycle[i % len(cycle)] for i, name in enumerate(samplers)}


def _plain_number(value: float, _pos=None) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _plain_log_ticks(ax) -> None:
    """Log axes labelled 0.05, 0.1, 0.2, ... instead of 5×10⁻², with more labels when the
    data span little more than a decade (else 2.4–3.6 s would carry no label at all)."""
    for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        low, high = limits
        decades = math.log10(high / low) if low > 0 and high > low else 2
        subs = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0) if decades < 1.5 else (1.0, 2.0, 5.0)
        axis.set_major_locator(LogLocator(base=10, subs=subs))
        axis.set_major_formatter(FuncFormatter(_plain_number))
        axis.set_minor_formatter(NullFormatter())


def times_plot(table: pd.DataFrame, path: Path, title: str) -> Path:
    """Stacked compile + sampling (+ rest) bars per backend, one panel per n."""
    ns = sorted(table["n"].unique())
    backends = list(dict.fromkeys(table["sampler"]))
    fig, axes = plt.subplots(1, len(ns), figsize=(max(7.5, 5.2 * len(ns)), 1.2 + 0.55 * len(backends)),
                             squeeze=False, sharey=True)
    for ax, n in zip(axes[0], ns):
        part = table[table["n"] == n].set_index("sampler")
        widest = 0.0
        for y, name in enumerate(backends):
            if name not in part.index:
                continue
            row = part.loc[name]
            compile_s, sampling_s, e2e_s = row["compile_s_median"], row["sampling_s_median"], row["end_to_end_s_median"]
            if not (_finite(compile_s) and _finite(sampling_s)):
                ax.text(0, y, f"  {row['status']}", va="center", ha="left", fontsize=9, color="#b22222")
                continue
            rest_s = max(e2e_s - compile_s - sampling_s, 0.0) if _finite(e2e_s) else 0.0
            left = 0.0
            for (label, colour), width in zip(SEGMENTS, (compile_s, sampling_s, rest_s)):
                ax.barh(y, width, left=left, color=colour, label=label, height=0.65)
                left += width
            widest = max(widest, left)
            memory = row.get("peak_pss_mib_median")
            ax.text(left, y, f" {left:.1f} s" + (f" · peak {memory:,.0f} MiB" if _finite(memory) else ""),
                    va="center", ha="left", fontsize=8)
        ax.set_xlim(0, widest * 1.4 if widest else 1)
        ax.set_title(f"n = {n:,}")
        ax.set_xlabel("seconds (median over runs)")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(range(len(backends)), labels=backends)
    axes[0][0].invert_yaxis()
    handles, labels = axes[0][0].get_legend_handles_labels()
    for ax in axes[0][1:]:
        h, l = ax.get_legend_handles_labels()
        handles, labels = handles + h, labels + l
    unique = dict(zip(labels, handles))
    fig.legend(unique.values(), unique.keys(), loc="lower center", ncol=len(unique), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def scaling_plot(table: pd.DataFrame, path: Path, title: str) -> Path:
    """Time (and ESS/s) against n on log-log axes, one line per backend."""
    backends = list(dict.fromkeys(table["sampler"]))
    colours = backend_colours(backends)
    fig, axes = plt.subplots(2, 2, figsize=(10.5, 7.5))
    for ax, (metric, label) in zip(axes.flat, SCALING_PANELS):
        for name in backends:
            part = table[table["sampler"] == name].sort_values("n")
            median = pd.to_numeric(part[f"{metric}_median"], errors="coerce")
            keep = median.notna() & (median > 0)
            if not keep.any():
                continue
            ns = part["n"][keep]
            ax.plot(ns, median[keep], marker="o", color=colours[name], label=name)
            if f"{metric}_min" in part and keep.sum() > 1:
                low = pd.to_numeric(part[f"{metric}_min"], errors="coerce")[keep]
                high = pd.to_numeric(part[f"{metric}_max"], errors="coerce")[keep]
                ax.fill_between(ns, low, high, color=colours[name], alpha=0.15, linewidth=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_log_ticks(ax)
        ax.set_xlabel("n (data points, log scale)")
        ax.set_ylabel(label + ", log scale")
        ax.grid(which="both", alpha=0.25)
    handles, labels = axes.flat[2].get_legend_handles_labels()
    if not handles:
        handles, labels = axes.flat[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 7) or 1, fontsize=9, frameon=False)
    fig.suptitle(title + "\nlines: median over runs; bands: min to max", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def break_even_plot(lines: dict[tuple[str, str], tuple], ess, targets, path: Path, title: str,
                    measured: dict[tuple[str, str], float] | None = None) -> Path:
    """``lines``: (backend, cache) -> (median, min, max) seconds at each ESS in ``ess``;
    ``measured``: (backend, cache) -> the largest ESS its runs reached: dotted beyond it."""
    backends = list(dict.fromkeys(name for name, _ in lines))
    colours = backend_colours(backends)
    measured = measured or {}
    fig, ax = plt.subplots(figsize=(8.5, 5.9))
    for (name, cache), (median, low, high) in lines.items():
        style = "-" if cache == "cold" else "--"
        reached = measured.get((name, cache), float("inf"))
        inside = ess <= reached
        ax.plot(ess[inside], median[inside], style, color=colours[name], label=f"{name} ({cache})", linewidth=1.6)
        if (~inside).any():  # from the last measured point on: extrapolated from the measured rate
            beyond = ~inside | np.roll(~inside, -1)
            ax.plot(ess[beyond], median[beyond], ":", color=colours[name], linewidth=1.2)
        ax.fill_between(ess, low, high, color=colours[name], alpha=0.08, linewidth=0)
    for target in targets:
        ax.axvline(target, color="#888888", linestyle=":", linewidth=0.8)
        ax.text(target, 1.0, f" {target:,}", transform=ax.get_xaxis_transform(), fontsize=8,
                va="top", ha="left", color="#555555")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(ess[0], ess[-1])
    _plain_log_ticks(ax)
    ax.set_xlabel("bulk ESS needed (slowest parameter), log scale")
    ax.set_ylabel("seconds from process start, log scale")
    ax.grid(which="both", alpha=0.25)
    ax.legend(fontsize=8, ncol=2, frameon=False, loc="upper left")
    fig.suptitle(title + "\nlines: median over runs (solid: cold, dashed: warm); bands: min to max over runs"
                 "\ndotted: beyond the largest ESS the backend's runs reached (extrapolated from the measured rate)"
                 "\nimport + compile + warmup + rest of end-to-end, then the draws at each run's measured rate",
                 fontsize=9.5)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def error_plot(lines: dict[tuple[str, str], dict], low_error: float, path: Path, title: str) -> Path:
    """``lines``: (backend, cache) -> {"grad_evals", "seconds", "b2_max"} (analysis.error_trace.lines)."""
    backends = list(dict.fromkeys(name for name, _ in lines))
    colours = backend_colours(backends)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), sharey=True)
    for ax, x_key, label in ((axes[0], "grad_evals", "gradient evaluations (warmup included), log scale"),
                             (axes[1], "seconds", "seconds from process start, log scale")):
        for (name, cache), line in lines.items():
            style = "-" if cache == "cold" else "--"
            one_point = len(line[x_key]) == 1
            ax.plot(line[x_key], line["b2_max"], "o" if one_point else style, color=colours[name],
                    label=f"{name} ({cache})", linewidth=1.5, markersize=6 if one_point else 0,
                    fillstyle="full" if cache == "cold" else "none")
        ax.axhline(low_error, color="#555555", linestyle=":", linewidth=1)
        ax.text(1.0, low_error, f" b² = {low_error:g}", transform=ax.get_yaxis_transform(), fontsize=8,
                va="bottom", ha="right", color="#555555")
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_log_ticks(ax)
        low, high = ax.get_xlim()
        if math.log10(high / low) > 2.5:  # labels as wide as 1,000,000 need a decade each
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0,)))
        ax.set_xlabel(label)
        ax.grid(which="both", alpha=0.25)
    axes[0].set_ylabel("b²_max: worst element's (running mean − truth)² / variance, of x and x²")
    handles, labels = axes[0].get_legend_handles_labels()  # beside the panels, not over the lines
    fig.legend(handles, labels, fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(0.83, 0.5))
    fig.suptitle(title + "\nmedian over runs (solid: cold, dashed: warm; a dot: an approximation's one fit); "
                 "below the dotted line ≈ 100 effective draws", fontsize=9.5)
    fig.tight_layout(rect=(0, 0, 0.83, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
