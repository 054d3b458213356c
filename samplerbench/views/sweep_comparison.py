"""Two sweeps side by side (two machines, two library versions, cold against warm): ratios B / A.

A sweep is named by a spec: a sweep id, a unique id prefix, a report name or 'latest' in the
default store; a path to another store (its latest sweep) or ``STORE.sqlite:SWEEP``; or a
saved ``<stem>.runs.jsonl`` file (its ``<stem>.env.json`` beside it gives the environment).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from samplerbench.store.records import backend_versions, first_ok, load_records_file
from samplerbench.analysis.statistics import summarize
from samplerbench.views.tables import fmt
from samplerbench.environment import differences, version_changes
from samplerbench.store.database import ResultStore
from samplerbench.time_to_ess import HEADLINE_TARGET, ess_targets_of, time_to_ess_column
from samplerbench.analysis.uncertainty import RatioTest, compare_runs
from samplerbench.run_record import RunRecord

RATIO_METRICS = (
    ("compile_s", "compile s"), ("sampling_s", "sampling s"),
    ("end_to_end_s", "end-to-end s"), ("ess_per_s", "ESS/s"),
)
JOIN = ["model", "n", "sampler"]


@dataclass
class Sweep:
    label: str
    records: list[RunRecord]
    header: dict


def _split_spec(spec: str) -> tuple[Path | None, str]:
    """(file, sweep) for 'FILE', 'FILE:SWEEP' or plain 'SWEEP' (file None: the default store)."""
    if Path(spec).is_file():
        return Path(spec), "latest"
    head, sep, tail = spec.rpartition(":")
    if sep and Path(head).is_file():
        return Path(head), tail or "latest"
    return None, spec


def load_sweep(spec: str, default_db: Path) -> Sweep:
    """Records and header of the sweep ``spec`` names (see the module docstring)."""
    path, sweep_spec = _split_spec(spec)
    if path is not None and path.name.endswith(".jsonl"):
        records, header = load_records_file(path)
        return Sweep(path.name.removesuffix(".runs.jsonl"), records, header)
    with ResultStore(path or default_db, create=False) as store:
        info = store.sweep(sweep_spec)
        return Sweep(info.name or info.sweep_id, store.records(info.sweep_id), store.header(info.sweep_id))


def _describe(sweep: Sweep) -> str:
    env = sweep.header.get("environment", {})
    cfg = sweep.header.get("config", {})
    libs = env.get("libraries", {})
    key_libs = ", ".join(f"{k} {libs[k]}" for k in ("pymc", "numpyro", "jax", "pystan", "nutpie") if libs.get(k))
    return (f"`{sweep.label}` — sweep {sweep.header.get('sweep_id', '?')}, started "
            f"{sweep.header.get('started_at', '?')}; {env.get('cpu', '?')}, {env.get('cores', '?')} cores; "
            f"Python {env.get('python', '?')}; {key_libs}; cache `{cfg.get('cache', '?')}`, "
            f"{cfg.get('runs', '?')} runs, {cfg.get('chains', '?')} chains × ({cfg.get('tune', '?')} + "
            f"{cfg.get('draws', '?')})")


def config_differences(a: dict, b: dict) -> list[str]:
    keys = ("chains", "tune", "draws", "target_accept", "max_treedepth", "cache", "runs", "cores")
    return [f"{k} {a.get(k)} -> {b.get(k)}" for k in keys if a.get(k) != b.get(k)]


def ratio_frame(a: Sweep, b: Sweep, sampler_order: list[str] | None = None) -> pd.DataFrame:
    """One row per (model, n, backend) measured in either sweep (and per cache mode, when a
    sweep measured both): medians, B / A, and whether B really differs from A in time to the
    headline ESS and end-to-end (samplerbench.analysis.uncertainty: bootstrap interval and Mann–Whitney),
    and which of its libraries' versions differ (as each sweep's workers recorded them)."""
    summaries = [summarize(sweep.records, sampler_order, (*ess_targets_of(sweep.header), HEADLINE_TARGET))
                 for sweep in (a, b)]
    several_modes = any(s.table["cache"].nunique() > 1 for s in summaries if not s.table.empty)
    join = JOIN + ["cache"] if several_modes else JOIN
    tested = [("end_to_end_s", "end-to-end"), (time_to_ess_column(HEADLINE_TARGET), f"to {HEADLINE_TARGET:,} ESS")]
    tables = []
    for summary, suffix in zip(summaries, ("a", "b")):
        keep = list(dict.fromkeys(JOIN + ["cache", "status"] + [f"{m}_median" for m, _ in (*RATIO_METRICS, *tested)]))
        table = summary.table.reindex(columns=keep)
        tables.append(table.rename(columns={c: f"{c}_{suffix}" for c in keep if c not in join}))
    merged = tables[0].merge(tables[1], on=join, how="outer", sort=False)
    rank = {name: i for i, name in enumerate(sampler_order or [])}
    merged = merged.sort_values(["model", "n", "sampler"], kind="stable",
                                key=lambda col: col.map(rank) if col.name == "sampler" and rank else col)
    for metric in dict.fromkeys(m for m, _ in (*RATIO_METRICS, *tested)):
        ratio = pd.to_numeric(merged[f"{metric}_median_b"], errors="coerce") / pd.to_numeric(
            merged[f"{metric}_median_a"], errors="coerce")
        merged[f"{metric}_ratio"] = ratio
    versions = [backend_versions(sweep.records) for sweep in (a, b)]
    merged["versions_changed"] = [
        version_changes(versions[0].get(name, {}), versions[1].get(name, {}))
        if name in versions[0] and name in versions[1] else "" for name in merged["sampler"]]
    for metric, _ in tested:
        found = [_test(summaries, row, join, metric) for _, row in merged.iterrows()]
        merged[f"{metric}_ci_low"] = [t.low if t else math.nan for t in found]
        merged[f"{metric}_ci_high"] = [t.high if t else math.nan for t in found]
        merged[f"{metric}_p_value"] = [t.p_value if t else math.nan for t in found]
        merged[f"{metric}_verdict"] = [t.verdict_text() if t else "" for t in found]
    return merged.reset_index(drop=True)


def _test(summaries, row, join, metric) -> RatioTest | None:
    """B's runs against A's for one merged row; None where a side has no value."""
    values = []
    for summary in summaries:
        frame = summary.frame
        mask = frame["status"] == "ok"
        for key in join:
            mask &= frame[key] == row[key]
        values.append(pd.to_numeric(frame.loc[mask, metric], errors="coerce").dropna().tolist())
    if not values[0] or not values[1]:
        return None
    return compare_runs(values[0], values[1])


def _cell(a, b, ratio, digits) -> str:
    values = f"{fmt(a, digits)} → {fmt(b, digits)}"
    if isinstance(ratio, float) and math.isnan(ratio):
        return values
    shown = f"{ratio:.2f}" if ratio >= 0.01 else f"{ratio:.1g}"  # a warm Stan build: 0.001×, not 0.00×
    return f"{values} (**{shown}×**)"


def default_differences(a: Sweep, b: Sweep) -> list[str]:
    """Library defaults (of the keywords samplerbench does not pass) that differ between the sweeps."""
    out = []
    in_a, in_b = first_ok(a.records, "library_defaults"), first_ok(b.records, "library_defaults")
    for sampler in [s for s in in_a if s in in_b]:
        for call in sorted(set(in_a[sampler]) | set(in_b[sampler])):
            da, db = in_a[sampler].get(call, {}), in_b[sampler].get(call, {})
            for key in sorted(set(da) | set(db)):
                if da.get(key, "(absent)") != db.get(key, "(absent)"):
                    out.append(f"{sampler}: {call} default {key} {da.get(key, '(absent)')} -> {db.get(key, '(absent)')}")
    return out


def model_differences(a: Sweep, b: Sweep) -> list[str]:
    """Models whose folder's files (model_sha256 in the records) differ between the sweeps."""
    def hashes(sweep):
        found: dict[str, set] = {}
        for r in sweep.records:
            if r.get("model_sha256"):
                found.setdefault(r["model"], set()).add(r["model_sha256"][:12])
        return found

    in_a, in_b = hashes(a), hashes(b)
    return [f"model {m}'s files differ (sha256 {', '.join(sorted(in_a[m]))} -> {', '.join(sorted(in_b[m]))})"
            for m in in_a if m in in_b and in_a[m] != in_b[m]]


def render_comparison(a: Sweep, b: Sweep, sampler_order: list[str] | None = None) -> tuple[str, pd.DataFrame]:
    merged = ratio_frame(a, b, sampler_order)
    lines = ["# samplerbench: two sweeps compared", "",
             f"- **A:** {_describe(a)}", f"- **B:** {_describe(b)}", ""]
    changed = differences(a.header.get("environment", {}), b.header.get("environment", {}))
    changed += config_differences(a.header.get("config", {}), b.header.get("config", {}))
    changed += model_differences(a, b) + default_differences(a, b)
    lines += ["What differs between A and B: " + ("; ".join(changed) if changed else "nothing recorded"), "",
              "Each cell: median of A → median of B (**B / A**). For times a ratio below 1 means B is "
              "faster; for ESS/s a ratio above 1 means B is better. Medians over each sweep's ok runs. "
              "The last columns say whether B really differs from A: the 95 % bootstrap interval of the "
              "ratio of medians and a Mann–Whitney test over the runs (both must agree; README, \"The answer\").", ""]
    in_a, in_b = merged["status_a"].notna(), merged["status_b"].notna()
    both = merged[in_a & in_b]
    if both.empty:
        lines += ["**No (model, n, backend) was measured in both sweeps**: nothing to compare.", ""]
    for model, part in both.groupby("model", sort=False):
        rows = []
        for _, row in part.iterrows():
            cells = {"n": f"{row['n']:,}", "backend": row["sampler"]}
            if "cache" in row and isinstance(row.get("cache"), str):
                cells["cache"] = row["cache"]
            cells["status A / B"] = f"{row['status_a']} / {row['status_b']}"
            cells["library versions A → B"] = row["versions_changed"] or "same"
            for metric, label in RATIO_METRICS:
                cells[label] = _cell(row[f"{metric}_median_a"], row[f"{metric}_median_b"], row[f"{metric}_ratio"],
                                     0 if metric == "ess_per_s" else 2)
            headline = time_to_ess_column(HEADLINE_TARGET)
            cells[f"to {HEADLINE_TARGET:,} ESS s"] = _cell(row[f"{headline}_median_a"], row[f"{headline}_median_b"],
                                                         row[f"{headline}_ratio"], 2)
            for metric, label in (("end_to_end_s", "end-to-end"), (headline, f"to {HEADLINE_TARGET:,} ESS")):
                low, high = row[f"{metric}_ci_low"], row[f"{metric}_ci_high"]
                interval = f"95 % CI {low:.2f}–{high:.2f}, p = {row[f'{metric}_p_value']:.2g}: " if low == low else ""
                cells[f"B vs A, {label}"] = (interval + row[f"{metric}_verdict"]) if row[f"{metric}_verdict"] else "–"
            rows.append(cells)
        lines += [f"## {model}", "", pd.DataFrame(rows).to_markdown(index=False), ""]
    for label, only in (("A", merged[in_a & ~in_b]), ("B", merged[in_b & ~in_a])):
        if not only.empty:
            lines.append(f"Only in {label} (no counterpart): " + ", ".join(
                f"{r['model']} n={r['n']} {r['sampler']}" for _, r in only.iterrows()) + ".")
            lines.append("")
    return "\n".join(lines), merged


def write_comparison(a: Sweep, b: Sweep, out_dir: Path, stem: str,
                     sampler_order: list[str] | None = None) -> dict[str, Path]:
    """<stem>.md (the ratio tables) and <stem>.csv (medians and ratios, one row per backend and n)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    text, merged = render_comparison(a, b, sampler_order)
    paths = {"markdown": out_dir / f"{stem}.md", "csv": out_dir / f"{stem}.csv"}
    paths["markdown"].write_text(text)
    merged.to_csv(paths["csv"], index=False)
    return paths

