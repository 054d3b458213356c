"""Interactive plotly figures of the dashboard, one trace per backend (so a click on its legend
entry hides it), each point's hover saying its value and how many runs it is the median of.

They show the same aggregated columns as the PNG plots (plots.py) and tables of the markdown
report: the medians of ``statistics.aggregate`` and the break-even curves of ``verdict.curves``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from samplerbench.views.history import HISTORY_METRICS, release_order, version_axis_labels
from samplerbench.time_to_ess import time_to_ess_column

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
LAYOUT = dict(template="plotly_white", margin=dict(l=60, r=20, t=100, b=50), height=460,
              legend=dict(title="backend (click to hide)"), hoverlabel=dict(namelength=-1))


def _buttons(buttons: list[dict], right: bool = False) -> dict:
    """A row of buttons above the plot, under its title."""
    return dict(buttons=buttons, direction="right", type="buttons", showactive=True, x=1 if right else 0,
                xanchor="right" if right else "left", y=1.02, yanchor="bottom", pad=dict(b=4))


def colours(names) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def _number(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def times_figure(part: pd.DataFrame, headline: int, title: str, order: list[str]) -> go.Figure:
    """Grouped bars: per backend its median import, compile, sampling, end-to-end and time to the
    headline ESS, whiskers min–max over the ok runs."""
    metrics = [("import_s", "import"), ("compile_s", "compile"), ("sampling_s", "sampling"),
               ("end_to_end_s", "end-to-end"), (time_to_ess_column(headline), f"to {headline:,} ESS")]
    palette = colours(order)
    fig = go.Figure()
    for _, row in part[part["ok"] > 0].iterrows():
        medians = [_number(row.get(f"{m}_median")) for m, _ in metrics]
        lows = [_number(row.get(f"{m}_min")) for m, _ in metrics]
        highs = [_number(row.get(f"{m}_max")) for m, _ in metrics]
        fig.add_bar(
            name=row["sampler"], x=[label for _, label in metrics], y=medians,
            marker_color=palette.get(row["sampler"]),
            error_y=dict(type="data", symmetric=False, thickness=1,
                         array=[(h - m) if h is not None and m is not None else None for m, h in zip(medians, highs)],
                         arrayminus=[(m - lo) if lo is not None and m is not None else None
                                     for m, lo in zip(medians, lows)]),
            customdata=[[int(row["ok"]), lo, hi] for lo, hi in zip(lows, highs)],
            hovertemplate="<b>%{fullData.name}</b><br>%{x}: %{y:.2f} s (median of %{customdata[0]} runs)"
                          "<br>min %{customdata[1]:.2f} s, max %{customdata[2]:.2f} s<extra></extra>",
        )
    fig.update_layout(**LAYOUT, title=title, barmode="group", yaxis_title="seconds (median; whiskers min–max)")
    return fig


def scaling_figure(part: pd.DataFrame, headline: int, title: str, order: list[str]) -> go.Figure:
    """Median seconds against n, log-log, one line per backend; buttons switch the measure."""
    metrics = [("end_to_end_s", "end-to-end s"), ("compile_s", "compile s"), ("sampling_s", "sampling s"),
               (time_to_ess_column(headline), f"to {headline:,} ESS s")]
    palette = colours(order)
    fig = go.Figure()
    ys = {m: [] for m, _ in metrics}
    for name, rows in part[part["ok"] > 0].groupby("sampler", sort=False):
        rows = rows.sort_values("n")
        for metric, _ in metrics:
            ys[metric].append([_number(v) for v in rows[f"{metric}_median"]])
        fig.add_scatter(name=name, x=rows["n"].tolist(), y=ys[metrics[0][0]][-1], mode="lines+markers",
                        line_color=palette.get(name), customdata=rows["ok"].astype(int).tolist(),
                        hovertemplate="<b>%{fullData.name}</b><br>n = %{x:,}: %{y:.2f} s "
                                      "(median of %{customdata} runs)<extra></extra>")
    buttons = [dict(label=label, method="update", args=[{"y": ys[metric]}, {"yaxis.title.text": label + " (median)"}])
               for metric, label in metrics]
    fig.update_layout(**LAYOUT, title=title, xaxis_type="log", yaxis_type="log",
                      xaxis_title="n (data points)", yaxis_title=metrics[0][1] + " (median)",
                      updatemenus=[_buttons(buttons)])
    return fig


def break_even_figure(lines: dict[tuple[str, str], tuple], ess: np.ndarray, title: str, order: list[str],
                      measured: dict[tuple[str, str], float] | None = None) -> go.Figure:
    """Seconds until a target ESS against the ESS needed, log-log: per backend and cache mode
    the median over runs of time_to_ess_s (cold solid, warm dashed; dotted beyond the largest
    ESS its runs reached, extrapolated; one legend entry hides them all)."""
    palette = colours(order)
    measured = measured or {}
    fig = go.Figure()
    for (name, cache), (median, _low, _high) in lines.items():
        inside = ess <= measured.get((name, cache), float("inf"))
        if inside.any():  # runs that all stayed below the plot's first ESS have no measured segment
            fig.add_scatter(name=f"{name} ({cache})", legendgroup=name, x=ess[inside].tolist(),
                            y=median[inside].tolist(), mode="lines",
                            line=dict(color=palette.get(name), dash="solid" if cache == "cold" else "dash"),
                            hovertemplate="<b>%{fullData.name}</b><br>%{x:,.0f} ESS after %{y:.2f} s<extra></extra>")
        if (~inside).any():
            beyond = ~inside | np.roll(~inside, -1)
            fig.add_scatter(name=f"{name} ({cache}, extrapolated)", legendgroup=name, showlegend=not inside.any(),
                            x=ess[beyond].tolist(), y=median[beyond].tolist(), mode="lines",
                            line=dict(color=palette.get(name), dash="dot", width=1.5),
                            hovertemplate="<b>%{fullData.name}</b><br>%{x:,.0f} ESS after %{y:.2f} s "
                                          "(beyond the largest ESS measured)<extra></extra>")
    fig.update_layout(**LAYOUT, title=title, xaxis_type="log", yaxis_type="log",
                      xaxis_title="bulk ESS needed (slowest parameter)", yaxis_title="seconds from process start")
    return fig


def error_figure(lines: dict[tuple[str, str], dict], low_error: float, title: str, order: list[str]) -> go.Figure:
    """b²_max against gradients (buttons: against seconds from process start), log-log, per backend
    and cache mode the median over runs (cold solid, warm dashed; an approximation's fit is one
    marker); the low-error line drawn."""
    palette = colours(order)
    fig = go.Figure()
    for (name, cache), line in lines.items():
        one_point = len(line["grad_evals"]) == 1
        fig.add_scatter(name=f"{name} ({cache})", legendgroup=name, x=line["grad_evals"].tolist(),
                        y=line["b2_max"].tolist(), customdata=line["seconds"].tolist(),
                        mode="markers" if one_point else "lines",
                        line=dict(color=palette.get(name), dash="solid" if cache == "cold" else "dash"),
                        marker=dict(color=palette.get(name), size=9),
                        hovertemplate="<b>%{fullData.name}</b><br>b² %{y:.3g} after %{x:,.0f} gradients "
                                      "(%{customdata:.2f} s from process start)<extra></extra>")
    fig.add_hline(y=low_error, line=dict(color="#555555", dash="dot", width=1),
                  annotation_text=f"b² = {low_error:g}", annotation_position="bottom right")
    buttons = [dict(label="against gradients", method="update",
                    args=[{"x": [line["grad_evals"].tolist() for line in lines.values()]},
                          {"xaxis.title.text": "gradient evaluations (warmup included)"}]),
               dict(label="against seconds", method="update",
                    args=[{"x": [line["seconds"].tolist() for line in lines.values()]},
                          {"xaxis.title.text": "seconds from process start"}])]
    fig.update_layout(**LAYOUT, title=title, xaxis_type="log", yaxis_type="log",
                      xaxis_title="gradient evaluations (warmup included)",
                      yaxis_title="b²_max (worst element, x and x²)", updatemenus=[_buttons(buttons)])
    return fig


def history_figure(part: pd.DataFrame, title: str, order: list[str]) -> go.Figure:
    """One line per backend across sweeps (rows of history.history_frame for one model, n, cache,
    machine and settings); buttons switch the measure and the x axis (sweep date or library version)."""
    palette = colours(order)
    fig = go.Figure()
    by_date, by_version, ys = [], [], {m: [] for m, _ in HISTORY_METRICS}
    for name in [s for s in order if s in set(part["sampler"])]:
        rows = part[part["sampler"] == name].sort_values("started_at")
        dates = rows["started_at"].tolist()
        labels = version_axis_labels(rows["versions"].tolist())
        by_date.append(dates)
        by_version.append(labels)
        for metric, _ in HISTORY_METRICS:
            ys[metric].append([_number(v) for v in rows[f"{metric}_median"]])
        fig.add_scatter(
            name=name, x=dates, y=ys[HISTORY_METRICS[0][0]][-1], mode="lines+markers",
            line_color=palette.get(name), marker_size=9,
            customdata=list(zip(rows["runs"].astype(int), rows["sweep"], rows["versions_text"], labels)),
            hovertemplate="<b>%{fullData.name}</b>: %{y:.2f} s (median of %{customdata[0]} runs)"
                          "<br>sweep %{customdata[1]}<br>%{customdata[2]}<extra></extra>",
        )
    first = HISTORY_METRICS[0][1]
    metric_buttons = [dict(label=label, method="update", args=[{"y": ys[metric]}, {"yaxis.title.text": label + " (median)"}])
                      for metric, label in HISTORY_METRICS]
    axis_buttons = [
        dict(label="by date", method="update", args=[{"x": by_date, "mode": "lines+markers"},
                                                     {"xaxis.type": "date", "xaxis.title.text": "sweep started"}]),
        # Points only: a line through versions in date order would zigzag between categories.
        dict(label="by library version", method="update",
             args=[{"x": by_version, "mode": "markers"},
                   {"xaxis.type": "category", "xaxis.title.text": "the backend's library version",
                    "xaxis.categoryorder": "array",
                    "xaxis.categoryarray": release_order(label for labels in by_version for label in labels)}]),
    ]
    fig.update_layout(**LAYOUT, title=title, xaxis_title="sweep started", yaxis_title=first + " (median)",
                      yaxis_rangemode="tozero",
                      updatemenus=[_buttons(metric_buttons), _buttons(axis_buttons, right=True)])
    return fig
