"""A sweep's report files: <stem>.md with its PNG plots, <stem>.csv, <stem>.env.json and
<stem>.runs.jsonl, all from one ``Summary`` (samplerbench.analysis.statistics)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from samplerbench.views.markdown import render_markdown
from samplerbench.analysis.statistics import Summary
from samplerbench.views.tables import all_posterior_rows


def _file_label(model: str) -> str:
    """A model's part of a file name: its name, also when the sweep named it by a folder path
    (``--models path/to/folder``; a path in a file name pointed into folders that do not exist),
    with any character other than letters, digits, ``_``, ``-`` and ``.`` made ``-``: a colon
    (``pdb:arK-arK``) made a markdown image link read as a URL scheme, and is refused by Windows."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", Path(str(model)).name)


def write_plots(summary: Summary, out_dir: Path, stem: str) -> dict[tuple, dict[str, str]]:
    """One times plot per (model, cache), a scaling plot when the sweep has several n, and a
    break-even plot per (model, n) under the key (model, n)."""
    from samplerbench.views import plots as plotting
    from samplerbench.analysis import error_trace
    from samplerbench.analysis.verdict import break_even_lines, measured_ess

    from samplerbench.fields import NOT_APPLICABLE

    table = summary.table
    if "status" in table:  # a backend of another language has no bar to draw, not even an empty one
        table = table[table["status"] != NOT_APPLICABLE]
    made: dict[tuple, dict[str, str]] = {}
    for (model, n), _ in table.groupby(["model", "n"], sort=False) if not table.empty else []:
        ess, lines = break_even_lines(summary, model, n)
        if lines:
            path = out_dir / f"{stem}-{_file_label(model)}-n{n}-break-even.png"
            made[(model, n)] = {"break_even": plotting.break_even_plot(
                lines, ess, summary.ess_targets, path, f"{model}, n = {n:,}: time to a target ESS",
                measured_ess(summary, model, n)).name}
        traced = error_trace.lines(summary.frame, model, n)
        if traced:
            path = out_dir / f"{stem}-{_file_label(model)}-n{n}-error.png"
            made.setdefault((model, n), {})["error"] = plotting.error_plot(
                traced, error_trace.LOW_ERROR, path, f"{model}, n = {n:,}: error against the reference per work").name
    for (model, cache), part in table.groupby(["model", "cache"], sort=False) if not table.empty else []:
        if not part["sampling_s_median"].notna().any():
            continue  # nothing measured: no picture of nothing
        files = {}
        runs = int(part["runs"].max())
        title = f"{model} (cache {cache}, {runs} run{'s' if runs != 1 else ''} per backend)"
        label = _file_label(model)
        files["times"] = plotting.times_plot(part, out_dir / f"{stem}-{label}-{cache}-times.png", title).name
        if part["n"].nunique() > 1:
            files["scaling"] = plotting.scaling_plot(part, out_dir / f"{stem}-{label}-{cache}-scaling.png", title).name
        made[(model, cache)] = files
    return made


def write_report(summary: Summary, header: dict, out_dir: Path, stem: str,
                 export_records: bool = True) -> dict[str, Path]:
    """Write <stem>.md with its PNG plots, <stem>.csv (aggregated table, accuracy included),
    <stem>-posterior.csv (mean and sd per backend and parameter, beside the reference),
    <stem>.env.json and <stem>.runs.jsonl (every run record) into ``out_dir``."""
    table, records = summary.table, summary.records
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out_dir / f"{stem}.md", "csv": out_dir / f"{stem}.csv",
             "environment": out_dir / f"{stem}.env.json", "records": out_dir / f"{stem}.runs.jsonl"}
    plots = write_plots(summary, out_dir, stem)
    paths["plots"] = [out_dir / name for files in plots.values() for name in files.values()]
    paths["markdown"].write_text(render_markdown(summary, header, plots))
    table.to_csv(paths["csv"], index=False)
    posterior = all_posterior_rows(summary)
    if not posterior.empty:
        paths["posterior_csv"] = out_dir / f"{stem}-posterior.csv"
        posterior.to_csv(paths["posterior_csv"], index=False)
    paths["environment"].write_text(json.dumps(header, indent=2, default=str))
    if export_records:
        paths["records"].write_text("".join(json.dumps(r, default=str) + "\n" for r in records))
    return paths
