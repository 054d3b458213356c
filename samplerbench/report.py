"""Records -> pandas DataFrame -> min / median / max table -> markdown, CSV and JSON.

Reports are always built from saved run records, so a report can be regenerated from the
JSON-lines file of an interrupted or finished sweep without measuring anything again.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from samplerbench.environment import differences
from samplerbench.fields import TIMING_FIELDS

QUALITY = ("ess_bulk_min", "ess_tail_min", "rhat_max", "divergences", "grad_evals", "grad_evals_warmup",
           "grad_evals_total", "ess_per_s", "us_per_grad", "ess_per_1k_grad")
KEYS = ["model", "n", "cache", "sampler"]

# Quality warnings that matter: any divergence, R-hat above 1.01, bulk ESS below 400.
RHAT_LIMIT = 1.01
ESS_LIMIT = 400
# Two backends disagree when posterior means differ by more than this many combined MCSE.
AGREEMENT_MCSE = 4.0

COLUMN_MEANINGS = {
    "import_s": "the backend's imports: its libraries, ArviZ, and what they would import lazily inside the run (availability check and version lookups excluded)",
    "compile_s": "model handed to the backend until it is executable (stanc + C++, PyTensor, JAX trace + XLA, numba)",
    "sampling_s": "first warmup iteration to last draw of the last chain, device work finished; compilation before the chains were dispatched and output building left out (a compile overlapping running chains stays in)",
    "end_to_end_s": "model building starts (data in memory) until the draws are an ArviZ InferenceData",
    "process_s": "the orchestrator spawns the worker process until it exits",
    "ess_bulk_min": "smallest bulk effective sample size over the parameters",
    "ess_per_s": "ess_bulk_min / sampling_s",
    "grad_evals_total": "gradient evaluations of warmup + draws: the leapfrog steps the library reports per iteration, summed over iterations and chains",
    "us_per_grad": "sampling_s / grad_evals_total, in µs (sampling_s covers warmup and draws, so all their gradients count); missing for a backend that does not expose its warmup gradients",
    "ess_per_1k_grad": "ess_bulk_min per 1000 gradient evaluations (warmup + draws): sampling efficiency independent of the machine's speed",
    "× floor": "us_per_grad × parallel chains / the gradient floor (the fastest bare compiled value-and-gradient of the log density over the languages timed): how many times that cost each gradient costs inside the sampler; below 1 the backend computes gradients faster than any gradient timed alone",
    "warnings": f"runs with divergences, R-hat > {RHAT_LIMIT} or bulk ESS < {ESS_LIMIT}",
    "agreement": f"posterior means agree with the other backends within {AGREEMENT_MCSE:g} combined MCSE",
}


def load_records(path: Path) -> list[dict]:
    records = []
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line:
                records.append(json.loads(line))
    return records


def load_records_file(path: Path) -> tuple[list[dict], dict]:
    """A saved <stem>.runs.jsonl and the header in <stem>.env.json beside it ({} if absent)."""
    header_path = Path(str(path).removesuffix(".runs.jsonl") + ".env.json")
    header = json.loads(header_path.read_text()) if header_path.exists() else {}
    return load_records(path), header


def records_frame(records: list[dict]) -> pd.DataFrame:
    """One row per timed run (priming runs of warm mode and gradient floors are left out).

    Records written before warmup gradients were counted (no ``grad_evals_total``) divided
    by the kept draws' gradients only: their ``us_per_grad`` had another meaning and is
    dropped rather than shown under the new name."""
    rows = [r for r in records if not r.get("priming") and r.get("kind", "run") == "run"]
    rows = [r if "grad_evals_total" in r else {**r, "us_per_grad": None} for r in rows]
    frame = pd.DataFrame(rows)
    for column in (*KEYS, "run", "status", "reason", *TIMING_FIELDS, *QUALITY):
        if column not in frame.columns:
            frame[column] = math.nan
    return frame


def gradient_floors(records: list[dict]) -> dict[tuple, float]:
    """(model, n) -> the floor: best measured µs per compiled value-and-gradient, any language."""
    floors: dict[tuple, float] = {}
    for r in records:
        if r.get("kind") == "gradient_floor" and r.get("status") == "ok" and r.get("floor_us_per_grad"):
            key = (r["model"], r["n"])
            floors[key] = min(floors.get(key, math.inf), float(r["floor_us_per_grad"]))
    return floors


def floor_sentence(records: list[dict], model: str, n: int) -> str:
    """Each language's floor for (model, n), the fastest first named; '' if none measured."""
    per_language: dict[str, float] = {}
    missing: dict[str, str] = {}
    for r in records:
        if (r.get("kind") == "gradient_floor" and r.get("status") == "ok" and r.get("model") == model
                and r.get("n") == n):
            # Records from before the floor had several languages timed JAX only.
            for language, floor in (r.get("floors") or {"jax": {"us_per_grad": r.get("floor_us_per_grad")}}).items():
                if floor.get("us_per_grad"):
                    per_language[language] = min(per_language.get(language, math.inf), float(floor["us_per_grad"]))
                else:
                    missing[language] = floor.get("reason", "not measured")
    if not per_language:
        return ""
    fastest = min(per_language, key=per_language.get)
    timed = ", ".join(f"{language} {us:.2f} µs" for language, us in sorted(per_language.items(), key=lambda kv: kv[1]))
    text = (f"Gradient floor: {per_language[fastest]:.2f} µs ({fastest}), the fastest bare compiled "
            f"value-and-gradient of the log density on one core, timed in a compiled loop: {timed}")
    if missing:
        text += "; not timed: " + "; ".join(f"{language} ({reason})" for language, reason in missing.items())
    return text + ". The `× floor` columns compare against it."




def quality_warnings(ok: pd.DataFrame) -> str:
    runs = len(ok)
    found = []
    for label, bad in (
        ("divergences", pd.to_numeric(ok["divergences"], errors="coerce") > 0),
        (f"R-hat > {RHAT_LIMIT}", pd.to_numeric(ok["rhat_max"], errors="coerce") > RHAT_LIMIT),
        (f"ESS < {ESS_LIMIT}", pd.to_numeric(ok["ess_bulk_min"], errors="coerce") < ESS_LIMIT),
    ):
        if bad.sum():
            found.append(f"{label} in {int(bad.sum())}/{runs} runs")
    return "; ".join(found)


def pooled_posteriors(ok: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """parameter -> (mean over runs, its MCSE), pooling a backend's independent runs."""
    per_param: dict[str, list[tuple[float, float]]] = {}
    for posterior in ok["posterior"] if "posterior" in ok else []:
        if not isinstance(posterior, dict):
            continue
        for name, stats in posterior.items():
            if stats.get("mean") is not None and stats.get("mcse_mean") is not None:
                per_param.setdefault(name, []).append((stats["mean"], stats["mcse_mean"]))
    pooled = {}
    for name, values in per_param.items():
        k = len(values)
        mean = sum(m for m, _ in values) / k
        mcse = math.sqrt(sum(e * e for _, e in values)) / k
        pooled[name] = (mean, mcse)
    return pooled


def agreement(frame: pd.DataFrame) -> dict[tuple, dict[str, str]]:
    """(model, n, cache) -> {backend: "" if it agrees, else which means disagree}.

    Two backends disagree on a parameter when their pooled posterior means differ by more
    than 4 combined MCSE. A backend is flagged when it disagrees with more than half of the
    other backends (with the only other one, when there are two), so one wrong backend does
    not taint the correct ones.
    """
    out: dict[tuple, dict[str, str]] = {}
    ok_runs = frame[frame["status"] == "ok"]
    for key, part in ok_runs.groupby(["model", "n", "cache"], sort=False):
        pooled = {name: pooled_posteriors(g) for name, g in part.groupby("sampler", sort=False)}
        verdicts = {}
        for name, mine in pooled.items():
            others = [o for o in pooled if o != name]
            disagreeing: dict[str, list[str]] = {}
            for other in others:
                for param, (mean, mcse) in mine.items():
                    if param not in pooled[other]:
                        continue
                    other_mean, other_mcse = pooled[other][param]
                    combined = math.hypot(mcse, other_mcse)
                    if combined > 0 and abs(mean - other_mean) > AGREEMENT_MCSE * combined:
                        z = abs(mean - other_mean) / combined
                        disagreeing.setdefault(other, []).append(f"{param} {mean:.4g} vs {other_mean:.4g} ({z:.1f} MCSE)")
            if others and len(disagreeing) > len(others) / 2 or (len(others) == 1 and disagreeing):
                verdicts[name] = "; ".join(f"vs {o}: {', '.join(d)}" for o, d in disagreeing.items())
            else:
                verdicts[name] = ""
        out[key] = verdicts
    return out


def aggregate(frame: pd.DataFrame, sampler_order: list[str] | None = None,
              floors: dict[tuple, float] | None = None) -> pd.DataFrame:
    """min / median / max of every timing over the ok runs of each (model, n, cache, sampler)."""
    floors = floors or {}
    verdicts = agreement(frame)
    rows = []
    for key, group in frame.groupby(KEYS, sort=False, dropna=False):
        ok = group[group["status"] == "ok"]
        row = dict(zip(KEYS, key))
        row["runs"] = len(group)
        row["ok"] = len(ok)
        row["status"] = _status(group)
        not_ok = group[group["status"] != "ok"]
        row["reason"] = "; ".join(dict.fromkeys(str(r) for r in not_ok["reason"].dropna() if str(r)))
        for column in TIMING_FIELDS:
            values = pd.to_numeric(ok[column], errors="coerce")
            row[f"{column}_min"] = values.min()
            row[f"{column}_median"] = values.median()
            row[f"{column}_max"] = values.max()
        for column in QUALITY:
            row[f"{column}_median"] = pd.to_numeric(ok[column], errors="coerce").median()
        floor = floors.get((row["model"], row["n"]), math.nan)
        row["floor_us_per_grad"] = floor
        # Chains run in parallel: on p cores the bare arithmetic costs floor / p of wall time
        # per gradient, so the ratio compares like with like.
        parallel = pd.to_numeric(ok.get("parallel_chains", pd.Series(dtype=float)), errors="coerce").median()
        parallel = parallel if parallel == parallel else 1.0
        row["parallel_chains"] = parallel
        row["overhead_x_floor"] = row["us_per_grad_median"] * parallel / floor if floor == floor else math.nan
        row["warnings"] = quality_warnings(ok) if len(ok) else ""
        row["disagreement"] = verdicts.get((row["model"], row["n"], row["cache"]), {}).get(row["sampler"], "")
        if row["disagreement"] and row["status"] in ("ok", "partly failed"):
            row["status"] = "disagrees"
        rows.append(row)
    if not rows:  # a sweep stopped before its first record: an empty table with the key columns
        return pd.DataFrame(columns=[*KEYS, "runs", "ok", "status", "reason"])
    table = pd.DataFrame(rows)
    if sampler_order and not table.empty:
        rank = {name: i for i, name in enumerate(sampler_order)}
        table = table.sort_values(
            by=["model", "n", "cache", "sampler"], key=lambda s: s.map(rank) if s.name == "sampler" else s,
            kind="stable",
        )
    return table.reset_index(drop=True)


def _status(group: pd.DataFrame) -> str:
    statuses = set(group["status"])
    if statuses == {"ok"}:
        return "ok"
    if statuses == {"skipped"}:
        return "skipped"
    if "ok" in statuses:
        return "partly failed"
    return "failed"


def _fmt(value, digits=2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _min_median(row, column, digits=2) -> str:
    lo, mid = row[f"{column}_min"], row[f"{column}_median"]
    if isinstance(lo, float) and math.isnan(lo):
        return "–"
    return f"{_fmt(lo, digits)} / {_fmt(mid, digits)}"


def headline_table(table: pd.DataFrame) -> pd.DataFrame:
    """Like the reference table: minimum over runs, median beside it."""
    out = pd.DataFrame({
        "backend": table["sampler"],
        "status": [f"{s} ({ok}/{runs})" if s != "skipped" else "skipped" for s, ok, runs in zip(table["status"], table["ok"], table["runs"])],
        "sampling s (min / median)": [_min_median(r, "sampling_s") for _, r in table.iterrows()],
        "end-to-end s (min / median)": [_min_median(r, "end_to_end_s") for _, r in table.iterrows()],
        "compile s (min / median)": [_min_median(r, "compile_s") for _, r in table.iterrows()],
        "import s (min)": [_fmt(v) for v in table["import_s_min"]],
        "process s (min)": [_fmt(v) for v in table["process_s_min"]],
        "ESS bulk min (median)": [_fmt(v, 0) for v in table["ess_bulk_min_median"]],
        "ESS/s (median)": [_fmt(v, 0) for v in table["ess_per_s_median"]],
        "µs / grad (× floor)": [
            "–" if u != u else (f"{u:.1f} ({x:.1f}×)" if x == x else f"{u:.1f}")
            for u, x in zip(table["us_per_grad_median"], table["overhead_x_floor"])
        ],
    })
    return out


def spread_table(table: pd.DataFrame) -> pd.DataFrame:
    """Every timing as min / median / max, for the ok runs."""
    out = pd.DataFrame({"backend": table["sampler"]})
    for column in TIMING_FIELDS:
        out[column.removesuffix("_s") + " s (min / med / max)"] = [
            "–" if math.isnan(r[f"{column}_min"]) else
            f"{_fmt(r[f'{column}_min'])} / {_fmt(r[f'{column}_median'])} / {_fmt(r[f'{column}_max'])}"
            for _, r in table.iterrows()
        ]
    return out


def quality_table(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "backend": table["sampler"],
        "ESS bulk min": [_fmt(v, 0) for v in table["ess_bulk_min_median"]],
        "ESS tail min": [_fmt(v, 0) for v in table["ess_tail_min_median"]],
        "R-hat max": [_fmt(v, 3) for v in table["rhat_max_median"]],
        "divergences": [_fmt(v, 0) for v in table["divergences_median"]],
        "gradient evals (warmup + draws)": [
            "–" if d != d else (f"{_fmt(w, 0)} + {_fmt(d, 0)}" if w == w else f"? + {_fmt(d, 0)}")
            for w, d in zip(table["grad_evals_warmup_median"], table["grad_evals_median"])
        ],
        "µs / gradient": [_fmt(v, 1) for v in table["us_per_grad_median"]],
        "× floor": [_fmt(v, 2) if v == v and v < 1 else _fmt(v, 1) for v in table["overhead_x_floor"]],
        "ESS / 1k grad": [_fmt(v, 1) for v in table["ess_per_1k_grad_median"]],
        "warnings": [w or "–" for w in table["warnings"]],
        "agreement": ["–" if s == "skipped" or ok == 0 else ("DISAGREES " + d if d else "agrees")
                      for s, ok, d in zip(table["status"], table["ok"], table["disagreement"])],
    })


def _environment_lines(header: dict) -> list[str]:
    env = header.get("environment", {})
    cfg = header.get("config", {})
    git = env.get("git", {})
    libs = ", ".join(f"{k} {v}" for k, v in env.get("libraries", {}).items() if v)
    commit = (git.get("commit") or "unknown")[:12] + (" (dirty tree)" if git.get("dirty") else "")
    return [
        f"- **Machine:** {env.get('cpu', '?')}, {env.get('cores', '?')} cores, "
        f"{env.get('memory_gib', '?')} GiB, {env.get('os', '?')}",
        f"- **Python:** {env.get('python', '?')}; **libraries:** {libs}",
        f"- **samplerbench commit:** {commit}; sweep {header.get('sweep_id', '?')} "
        f"started {header.get('started_at', '?')}",
        f"- **Configuration:** {cfg.get('chains')} chains × ({cfg.get('tune')} warmup + "
        f"{cfg.get('draws')} draws), target accept {cfg.get('target_accept')}, max tree depth "
        f"{cfg.get('max_treedepth')}, float64, {cfg.get('runs')} runs per backend, each in a fresh "
        f"process, **cache mode `{cfg.get('cache')}`**, timeout {cfg.get('timeout_s')} s per run",
    ] + ([f"- **Total wall time of the sweep:** {header['total_s']:.0f} s"] if header.get("total_s") else [])


CACHE_MEANING = {
    "cold": "every run starts with empty compile caches (what you see the first time you run a new or changed model)",
    "warm": "an untimed priming run filled the compile caches first (what you see re-running an unchanged model)",
}


def _sweep_status_lines(header: dict, records: list[dict]) -> list[str]:
    """Complete or not, how many sessions, and whether the environment moved between them."""
    lines = []
    planned = header.get("planned")
    measured = len([r for r in records if not r.get("priming")])
    if header.get("finished_at"):
        lines.append(f"- **Sweep:** complete, {measured} measurements, finished {header['finished_at']}")
    elif planned:
        lines.append(f"- **Sweep: INCOMPLETE** — {measured} of {planned} planned measurements; finish it with "
                     f"`python scripts/compare.py --resume {header.get('sweep_id', '')}`")
    sessions = header.get("sessions") or []
    if len(sessions) > 1:
        lines.append(f"- **Resumed:** measured in {len(sessions)} sessions (started "
                     + ", ".join(str(s.get("started_at")) for s in sessions) + ")")
        first = sessions[0].get("environment", {})
        for later in sessions[1:]:
            changed = differences(first, later.get("environment", {}))
            if changed:
                lines.append(f"- **Environment changed** in session {later['session']}: {'; '.join(changed)}")
    return lines


SCALING_METRICS = (
    ("compile_s", "compile s"), ("sampling_s", "sampling s"),
    ("end_to_end_s", "end-to-end s"), ("ess_per_s", "ESS/s"),
)


def loglog_slope(ns: list[float], values: list[float]) -> float:
    """Least-squares slope of log(value) on log(n): value grows like n^slope."""
    points = [(math.log(n), math.log(v)) for n, v in zip(ns, values) if v == v and v > 0]
    if len(points) < 2:
        return math.nan
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else math.nan


def scaling_table(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Backends × n of one metric's median, with the log-log slope over n."""
    ns = sorted(table["n"].unique())
    rows = []
    for name, part in table.groupby("sampler", sort=False):
        by_n = part.set_index("n")[f"{metric}_median"]
        values = [float(by_n.get(n, math.nan)) for n in ns]
        row = {"backend": name}
        row.update({f"n = {n:,}": _fmt(v, 0 if metric == "ess_per_s" else 2) for n, v in zip(ns, values)})
        slope = loglog_slope(ns, values)
        row["grows like n^k, k ="] = _fmt(slope, 2)
        rows.append(row)
    return pd.DataFrame(rows)


def render_markdown(records: list[dict], header: dict, sampler_order: list[str] | None = None,
                    plots: dict[tuple, dict[str, str]] | None = None) -> str:
    """The report; ``plots`` maps (model, cache) to {"times": file, "scaling": file} to embed."""
    plots = plots or {}
    frame = records_frame(records)
    floors = gradient_floors(records)
    table = aggregate(frame, sampler_order, floors)
    lines = ["# samplerbench report", ""]
    lines += _environment_lines(header)
    lines += _sweep_status_lines(header, records)
    lines.append("")
    if table.empty:
        lines += ["No run has been recorded for this sweep yet.", ""]
    overviews = {}
    for (model, cache), part in table.groupby(["model", "cache"], sort=False) if not table.empty else []:
        block = []
        ns = sorted(part["n"].unique())
        figures = plots.get((model, cache), {})
        if len(ns) > 1:
            block += [f"## {model}, cache `{cache}`: how each backend grows with n", "",
                      f"Medians over the ok runs at n = {', '.join(f'{n:,}' for n in ns)}; the last column "
                      "is the slope of a straight line through the points on log-log axes (1 = linear in n, "
                      "0 = flat).", ""]
            if figures.get("scaling"):
                block += [f"![{model}: time against n, log-log]({figures['scaling']})", ""]
            for metric, label in SCALING_METRICS:
                block += [f"{label} (median):", "", scaling_table(part, metric).to_markdown(index=False), ""]
        if figures.get("times"):
            if len(ns) == 1:
                block += [f"## {model}, cache `{cache}`: where the time goes", ""]
            block += [f"![{model}: compile + sampling per backend]({figures['times']})", "",
                      "Bars: compile, sampling and the rest of end-to-end (medians over the ok runs); "
                      "the number is their sum.", ""]
        overviews[(model, cache)] = block
    shown = set()
    for (model, n, cache), part in table.groupby(["model", "n", "cache"], sort=False):
        if (model, cache) not in shown:
            lines += overviews.get((model, cache), [])
            shown.add((model, cache))
        part = part.reset_index(drop=True)
        lines += [f"## {model}, n = {n}, cache `{cache}`", "",
                  f"Cache `{cache}`: {CACHE_MEANING.get(cache, '')}.", "",
                  *([floor_sentence(records, model, n), ""] if (model, n) in floors else []),
                  "Headline: minimum over runs (as in the reference table) and the median.", "",
                  headline_table(part).to_markdown(index=False), "",
                  "All timings, min / median / max over the ok runs:", "",
                  spread_table(part).to_markdown(index=False), "",
                  "Sampling quality (median over ok runs):", "",
                  quality_table(part).to_markdown(index=False), ""]
        overhead = pd.to_numeric(
            frame.loc[(frame["model"] == model) & (frame["n"] == n) & (frame["cache"] == cache)
                      & (frame["status"] == "ok"), "harness_overhead_s"] if "harness_overhead_s" in frame else pd.Series(dtype=float),
            errors="coerce",
        )
        if overhead.notna().any():
            lines += [f"Harness overhead per run (process − import − end-to-end − diagnostics): "
                      f"median {overhead.median():.2f} s, max {overhead.max():.2f} s.", ""]
        below_floor = part[(part["status"] == "ok") & (part["overhead_x_floor"] < 1)]
        for _, row in below_floor.iterrows():
            lines += [f"**{row['sampler']}** spends {row['overhead_x_floor']:.2f}× the floor per gradient: it "
                      "computes gradients faster than any compiled gradient timed alone here (the floor "
                      "is not a lower bound for it).", ""]
        no_warmup = part[(part["ok"] > 0) & part["us_per_grad_median"].isna() & part["grad_evals_median"].notna()]
        if not no_warmup.empty:
            lines += ["Warmup gradients not exposed by " + ", ".join(f"**{s}**" for s in no_warmup["sampler"])
                      + ": µs / gradient, × floor and ESS / 1k grad are missing for them (a figure from the kept "
                      "draws alone would mean something else).", ""]
        problems = part[part["status"] != "ok"]
        if not problems.empty:
            lines.append("Not measured, or not to be trusted:")
            lines.append("")
            for _, row in problems.iterrows():
                detail = row["disagreement"] if row["status"] == "disagrees" else row["reason"]
                lines.append(f"- **{row['sampler']}** ({row['status']}): {detail}")
            lines.append("")
    lines += ["## What the numbers mean", ""]
    lines += [f"- `{k}`: {v}." for k, v in COLUMN_MEANINGS.items()]
    lines += ["", "Timings are seconds of `time.perf_counter`; see the README and PROTOCOL for details.", ""]
    return "\n".join(lines)


def terminal_table(records: list[dict], sampler_order: list[str] | None = None) -> str:
    table = aggregate(records_frame(records), sampler_order, gradient_floors(records))
    parts = []
    for (model, n, cache), part in table.groupby(["model", "n", "cache"], sort=False):
        parts.append(f"{model}, n = {n}, cache {cache}\n" + headline_table(part.reset_index(drop=True)).to_markdown(index=False))
    for (model, cache), part in table.groupby(["model", "cache"], sort=False) if not table.empty else []:
        if part["n"].nunique() > 1:
            for metric, label in (("sampling_s", "sampling s"), ("end_to_end_s", "end-to-end s")):
                parts.append(f"{model}, cache {cache}: {label} (median) against n\n"
                             + scaling_table(part, metric).to_markdown(index=False))
    return "\n\n".join(parts)


def write_plots(table: pd.DataFrame, out_dir: Path, stem: str) -> dict[tuple, dict[str, str]]:
    """One times plot per (model, cache), plus a scaling plot when the sweep has several n."""
    from samplerbench import plots as plotting

    made: dict[tuple, dict[str, str]] = {}
    for (model, cache), part in table.groupby(["model", "cache"], sort=False) if not table.empty else []:
        if not part["sampling_s_median"].notna().any():
            continue  # nothing measured: no picture of nothing
        files = {}
        runs = int(part["runs"].max())
        title = f"{model} (cache {cache}, {runs} run{'s' if runs != 1 else ''} per backend)"
        files["times"] = plotting.times_plot(part, out_dir / f"{stem}-{model}-{cache}-times.png", title).name
        if part["n"].nunique() > 1:
            files["scaling"] = plotting.scaling_plot(part, out_dir / f"{stem}-{model}-{cache}-scaling.png", title).name
        made[(model, cache)] = files
    return made


def write_report(records: list[dict], header: dict, out_dir: Path, stem: str,
                 sampler_order: list[str] | None = None, export_records: bool = True) -> dict[str, Path]:
    """Write <stem>.md with its PNG plots, <stem>.csv (aggregated table), <stem>.env.json and
    <stem>.runs.jsonl (every run record) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out_dir / f"{stem}.md", "csv": out_dir / f"{stem}.csv",
             "environment": out_dir / f"{stem}.env.json", "records": out_dir / f"{stem}.runs.jsonl"}
    table = aggregate(records_frame(records), sampler_order, gradient_floors(records))
    plots = write_plots(table, out_dir, stem)
    paths["plots"] = [out_dir / name for files in plots.values() for name in files.values()]
    paths["markdown"].write_text(render_markdown(records, header, sampler_order, plots))
    table.to_csv(paths["csv"], index=False)
    paths["environment"].write_text(json.dumps(header, indent=2, default=str))
    if export_records:
        paths["records"].write_text("".join(json.dumps(r, default=str) + "\n" for r in records))
    return paths
