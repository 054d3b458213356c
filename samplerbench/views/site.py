"""The dashboard: a static HTML site over the whole results store (``report.py --html``).

- ``index.html``: every sweep (date, machine, versions, complete or not) and every model;
- ``model-<name>.html``: per model the history of each backend across sweeps (by date or by
  library version), what changed between consecutive sweeps, and the latest sweep's plots and
  headline tables;
- ``sweep-<id>.html``: one sweep: the verdict, plots and tables of its markdown report.

Tables are the markdown report's own frames (tables.py) from the same ``Summary``, rendered as
HTML: one aggregation, two views. Pages work offline and from file://: the one script they need,
plotly.js, comes from the installed plotly package and is written next to them once.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from samplerbench.analysis import error_trace
from samplerbench.views import interactive
from samplerbench.environment import machine_label
from samplerbench.views.history import (
    StoredSweep, changes_frame, history_frame, key_versions, load_sweeps, settings_label,
)
from samplerbench.views.markdown import CACHE_MEANING
from samplerbench.views.tables import (
    error_table, has_error_traces, headline_table, quality_table, scaling_table, time_to_ess_table,
)
from samplerbench.time_to_ess import headline_target
from samplerbench.analysis.verdict import break_even_lines, break_even_table, measured_ess, model_verdict

DEFAULT_SITE = Path("reports") / "site"
PLOTLY_JS = "plotly.min.js"

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 0 1.5em 3em; color: #222; line-height: 1.45; }
nav { padding: .8em 0; border-bottom: 1px solid #ddd; margin-bottom: 1em; }
nav a { margin-right: 1.2em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #eee; }
h3 { font-size: 1.08em; margin-top: 1.4em; }
table { border-collapse: collapse; font-size: .86em; margin: .6em 0 1.2em; }
th, td { border: 1px solid #ddd; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f4f6f8; } tr:nth-child(even) td { background: #fafafa; }
.note { color: #555; font-size: .92em; } .incomplete { color: #b22222; font-weight: 600; }
.plot { margin: .5em 0 1.5em; }
"""


def _text(markdown_text: str) -> str:
    """A sentence of the markdown report as HTML: escaped, with its **bold** kept."""
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(markdown_text))


def _table(frame: pd.DataFrame, css_class: str) -> str:
    return frame.to_html(index=False, border=0, classes=css_class, escape=True, na_rep="–")


def _figure(fig, div_id: str) -> str:
    return '<div class="plot">' + fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                                                config={"displaylogo": False, "responsive": True}) + "</div>"


def _page(title: str, body: list[str]) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<script src="{PLOTLY_JS}"></script><style>{STYLE}</style></head>\n<body>\n'
            '<nav><a href="index.html">samplerbench: all sweeps</a></nav>\n'
            + "\n".join(body) + "\n</body></html>\n")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text)).strip("-")


def sweep_page_name(sweep: StoredSweep) -> str:
    return f"sweep-{_slug(sweep.sweep_id)}.html"


def model_page_name(model: str) -> str:
    return f"model-{_slug(model)}.html"


def _status(sweep: StoredSweep) -> str:
    if sweep.info.complete:
        return f"complete, {sweep.info.measured} measurements"
    return f'<span class="incomplete">INCOMPLETE {sweep.info.measured}/{sweep.info.planned}</span>'


def _sweep_line(sweep: StoredSweep) -> str:
    env, cfg = sweep.header.get("environment", {}), sweep.header.get("config", {})
    python = env.get("python", "?") + (f" ({env['python_executable']})" if cfg.get("python") else "")
    return (f"<p class=\"note\">Sweep <a href=\"{sweep_page_name(sweep)}\">{html.escape(sweep.label)}</a>, "
            f"started {html.escape(str(sweep.info.started_at))}; {html.escape(machine_label(env))}; Python "
            f"{html.escape(python)}; {html.escape(key_versions(env))}; {html.escape(settings_label(cfg))}; "
            f"{_status(sweep)}.</p>")


def model_sections(sweep: StoredSweep, model: str, order: list[str], prefix: str) -> list[str]:
    """One model of one sweep as on its markdown report: per n the verdict and break-even plot,
    per cache mode the times plot (and n-scaling), the headline, time-to-ESS and quality tables."""
    summary = sweep.summary
    table = summary.table
    part = table[table["model"] == model]
    headline = headline_target(summary.ess_targets)
    body = []
    for n in sorted(part["n"].unique()):
        body.append(f"<h3>{html.escape(model)}, n = {n:,}: the answer</h3>")
        sentences = model_verdict(summary, model, n)
        if sentences:
            body.append("<ul class=\"verdict\">" + "".join(f"<li>{_text(s)}</li>" for s in sentences) + "</ul>")
        ess, lines = break_even_lines(summary, model, n)
        if lines:
            body.append(_figure(interactive.break_even_figure(
                lines, ess, f"{model}, n = {n:,}: seconds to a target ESS (median over runs)", order,
                measured_ess(summary, model, n)),
                f"{prefix}-break-even-n{n}"))
        crossings = break_even_table(summary, model, n)
        if not crossings.empty:
            body.append(_table(crossings, "crossings"))
        traced = error_trace.lines(summary.frame, model, n)
        if traced:
            body.append(_figure(interactive.error_figure(
                traced, error_trace.LOW_ERROR, f"{model}, n = {n:,}: error against the reference per work "
                "(median over runs)", order), f"{prefix}-error-n{n}"))
    for cache, by_cache in part.groupby("cache", sort=False):
        ns = sorted(by_cache["n"].unique())
        if len(ns) > 1 and (by_cache["ok"] > 0).any():
            body.append(f"<h3>{html.escape(model)}, cache {html.escape(cache)}: how each backend grows with n</h3>")
            body.append(_figure(interactive.scaling_figure(
                by_cache, headline, f"{model}, cache {cache}: median seconds against n", order),
                f"{prefix}-scaling-{cache}"))
            body.append(_table(scaling_table(by_cache, "end_to_end_s"), "scaling"))
        for n in ns:
            rows = by_cache[by_cache["n"] == n].reset_index(drop=True)
            body.append(f"<h3>{html.escape(model)}, n = {n:,}, cache {html.escape(cache)}</h3>")
            body.append(f"<p class=\"note\">Cache {html.escape(cache)}: {html.escape(CACHE_MEANING.get(cache, ''))}.</p>")
            if (rows["ok"] > 0).any():
                body.append(_figure(interactive.times_figure(
                    rows, headline, f"{model}, n = {n:,}, cache {cache}: where the time goes", order),
                    f"{prefix}-times-n{n}-{cache}"))
            body += ["<p>Headline: minimum over runs (as in the reference table) and the median.</p>",
                     _table(headline_table(rows), "headline"),
                     "<p>Time to a target ESS (median [min–max] over runs):</p>",
                     _table(time_to_ess_table(rows, summary.ess_targets), "time-to-ess"),
                     "<p>Sampling quality (median over ok runs):</p>",
                     _table(quality_table(rows), "quality")]
            if has_error_traces(rows):
                body += ["<p>Error against the reference per work (b² &lt; 0.01: about 100 effective draws):</p>",
                         _table(error_table(rows), "error")]
    return body


def sweep_page(sweep: StoredSweep, order: list[str]) -> str:
    models = list(dict.fromkeys(sweep.summary.table["model"])) if not sweep.summary.table.empty else []
    body = [f"<h1>Sweep {html.escape(sweep.label)}</h1>", _sweep_line(sweep),
            "<p>Models: " + ", ".join(f'<a href="{model_page_name(m)}">{html.escape(m)}</a>' for m in models) + "</p>"]
    if not models:
        body.append("<p>No run has been recorded for this sweep yet.</p>")
    for model in models:
        body.append(f"<h2>{html.escape(model)}</h2>")
        body += model_sections(sweep, model, order, _slug(model))
    return _page(f"samplerbench sweep {sweep.label}", body)


def history_groups(history: pd.DataFrame, model: str):
    """(n, cache, machine, settings) -> that part of the history: one history plot each."""
    part = history[history["model"] == model]
    return part.groupby(["n", "cache", "machine", "settings"], sort=True) if not part.empty else []


def model_page(model: str, sweeps: list[StoredSweep], history: pd.DataFrame, order: list[str]) -> str:
    body = [f"<h1>{html.escape(model)}</h1>", "<h2>History: each backend across sweeps</h2>",
            "<p class=\"note\">One point per sweep: the median over its ok runs (hover for the run count, "
            "the sweep and the backend's library versions). A line only joins sweeps on the same machine "
            "with the same run settings. The buttons switch the measure, and the x axis between the sweep's "
            "date and the backend's library version.</p>"]
    for index, ((n, cache, machine, settings), part) in enumerate(history_groups(history, model)):
        body.append(f"<h3>n = {n:,}, cache {html.escape(cache)}; {html.escape(machine)}; {html.escape(settings)}</h3>")
        body.append(_figure(interactive.history_figure(
            part, f"{model}, n = {n:,}, cache {cache}: median seconds per sweep", order), f"history-{index}"))
        in_line = [s for s in sweeps if s.sweep_id in set(part["sweep_id"])]
        changes = changes_frame(in_line, model, n, cache, order)
        if not changes.empty:
            body += ["<p>Between consecutive sweeps of this line: the change per backend, whether it is real "
                     "(95 % bootstrap interval of the ratio of medians excludes 1 and Mann–Whitney p &lt; 0.05) "
                     "and which library versions differ:</p>", _table(changes, "changes")]
    latest = [s for s in sweeps if not s.summary.table.empty and model in set(s.summary.table["model"])]
    if latest:
        body += [f"<h2>Latest sweep with {html.escape(model)}</h2>", _sweep_line(latest[-1])]
        body += model_sections(latest[-1], model, order, "latest")
    return _page(f"samplerbench: {model}", body)


def index_page(sweeps: list[StoredSweep], models: list[str]) -> str:
    rows = []
    for sweep in reversed(sweeps):
        env, cfg = sweep.header.get("environment", {}), sweep.header.get("config", {})
        rows.append(
            f"<tr><td><a href=\"{sweep_page_name(sweep)}\">{html.escape(sweep.label)}</a></td>"
            f"<td>{html.escape(str(sweep.info.started_at))}</td><td>{html.escape(machine_label(env))}</td>"
            f"<td>{html.escape(env.get('python', '?'))}"
            + (f"<br><span class=\"note\">workers: {html.escape(str(env.get('python_executable')))}</span>"
               if cfg.get("python") else "")
            + f"</td><td>{html.escape(key_versions(env))}</td>"
            f"<td>{html.escape(', '.join(cfg.get('models', [])))}</td>"
            f"<td>{html.escape(', '.join(map(str, cfg.get('ns', []))))}</td>"
            f"<td>{html.escape(', '.join(cfg.get('samplers', [])))}</td>"
            f"<td>{cfg.get('runs')} × {html.escape(str(cfg.get('cache')))}</td><td>{_status(sweep)}</td></tr>")
    body = ["<h1>samplerbench results</h1>",
            f"<p class=\"note\">{len(sweeps)} sweep{'s' if len(sweeps) != 1 else ''} in the store, newest first. "
            "A model's page shows each backend's history across sweeps; a sweep's page shows its report.</p>",
            "<h2>Models</h2><ul class=\"models\">"
            + "".join(f'<li><a href="{model_page_name(m)}">{html.escape(m)}</a></li>' for m in models) + "</ul>",
            "<h2>Sweeps</h2>",
            "<table class=\"sweeps\"><thead><tr><th>sweep</th><th>started</th><th>machine</th><th>Python</th>"
            "<th>library versions (workers)</th><th>models</th><th>n</th><th>backends</th><th>runs × cache</th>"
            "<th>status</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"]
    return _page("samplerbench results", body)


def write_plotly_js(out: Path) -> Path:
    """plotly.js from the installed plotly package, next to the pages (rewritten only when it changed)."""
    from plotly.offline import get_plotlyjs

    path = out / PLOTLY_JS
    script = get_plotlyjs()
    if not path.exists() or path.read_text() != script:
        path.write_text(script)
    return path


def build_site(db: Path, out: Path, order: list[str]) -> dict[str, Path]:
    """Write the whole site for the store ``db`` into ``out``; returns the index and every page."""
    sweeps = load_sweeps(db, order)
    history = history_frame(sweeps)
    models = sorted({m for s in sweeps if not s.summary.table.empty for m in s.summary.table["model"]})
    out.mkdir(parents=True, exist_ok=True)
    write_plotly_js(out)
    pages = {"index": out / "index.html"}
    pages["index"].write_text(index_page(sweeps, models))
    for sweep in sweeps:
        pages[sweep.sweep_id] = out / sweep_page_name(sweep)
        pages[sweep.sweep_id].write_text(sweep_page(sweep, order))
    for model in models:
        pages[model] = out / model_page_name(model)
        pages[model].write_text(model_page(model, sweeps, history, order))
    return pages
