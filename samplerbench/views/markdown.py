"""The markdown report and the terminal summary of a sweep, from its ``Summary``."""

from __future__ import annotations

import pandas as pd

from samplerbench.environment import differences, record_machine
from samplerbench.fields import NOT_APPLICABLE
from samplerbench.store.records import GradientFloor
from samplerbench.analysis.accuracy import ERROR_LIMIT, Z_LIMIT, reference_words
from samplerbench.views.model_grid import grid_block
from samplerbench.views.race_report import race_block, races_for, rule_text, runs_text
from samplerbench.analysis.statistics import AGREEMENT_MCSE, ESS_LIMIT, RHAT_LIMIT, Summary
from samplerbench.views.tables import (
    density_note,
    SCALING_METRICS, answer_table, error_table, has_error_traces, headline_table, posterior_rows, posterior_table, quality_table, scaling_table,
    spread_table, time_to_ess_table,
)
from samplerbench.analysis.uncertainty import UNSTABLE_RELATIVE_SD
from samplerbench.time_to_ess import headline_target
from samplerbench.analysis.verdict import break_even_table, model_verdict, terminal_verdict
from samplerbench.run_record import RunRecord


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
    "time to T ESS": "import_s + compile_s + warmup_s + (end_to_end_s − compile_s − sampling_s) + T / draws ESS/s, per run: seconds from the start of the process until the slowest parameter has T bulk ESS (interpreter start not counted)",
    "warmup_s / draws_s": "sampling_s split into its phases: in the proportion the library reports for them (CmdStan), else in proportion to the gradients of each phase (`split by` says which)",
    "draws ESS/s": "ess_bulk_min / draws_s: how fast the slowest parameter gains ESS once warmup is over (the slope of the break-even lines)",
    "peak MiB": "peak memory of the run's whole process tree (worker, chain processes, compilers): proportional set size (PSS) summed over its processes, so pages forked processes share count once, sampled every 0.1 s; runs recorded before PSS (summed RSS, shared pages once per process) show –",
    "warnings": (f"runs with divergences, R-hat > {RHAT_LIMIT} or bulk ESS < {ESS_LIMIT}; a backend with a divergence in any "
                 f"run, or a median R-hat above {RHAT_LIMIT}, cannot win"),
    "agreement": f"posterior means agree with the other backends within {AGREEMENT_MCSE:g} combined MCSE",
    "accuracy": (f"each run scored against the model's reference posterior (long Stan runs, `references/`): a parameter is "
                 f"biased when its mean or sd is off by more than {ERROR_LIMIT:g} reference sd and by more than "
                 f"{Z_LIMIT:g} combined Monte Carlo standard errors; the worst parameter of the worst run is shown; a "
                 "backend biased in any run cannot win"),
}


CACHE_MEANING = {
    "cold": "every run starts with empty compile caches (what you see the first time you run a new or changed model)",
    "warm": "an untimed priming run filled the compile caches first (what you see re-running an unchanged model)",
}


def floor_sentence(floor: GradientFloor) -> str:
    """Each language's floor for a cell, the fastest first named."""
    per_language = floor.by_language
    fastest = min(per_language, key=per_language.get)
    timed = ", ".join(f"{language} {us:.2f} µs" for language, us in sorted(per_language.items(), key=lambda kv: kv[1]))
    text = (f"Gradient floor: {per_language[fastest]:.2f} µs ({fastest}), the fastest bare compiled "
            f"value-and-gradient of the log density on one core, timed in a compiled loop: {timed}")
    if floor.not_timed:
        text += "; not timed: " + "; ".join(f"{language} ({reason})" for language, reason in floor.not_timed.items())
    return text + ". The `× floor` columns compare against it."


def _environment_lines(header: dict) -> list[str]:
    env = header.get("environment", {})
    cfg = header.get("config", {})
    git = env.get("git", {})
    libs = ", ".join(f"{k} {v}" for k, v in env.get("libraries", {}).items() if v)
    commit = (git.get("commit") or "unknown")[:12] + (" (dirty tree)" if git.get("dirty") else "")
    return [
        f"- **Machine:** {env.get('cpu', '?')}, {env.get('cores', '?')} cores, "
        f"{env.get('memory_gib', '?')} GiB, {env.get('os', '?')}",
        f"- **Python:** {env.get('python', '?')}"
        + (f" (`{env['python_executable']}`)" if cfg.get("python") and env.get("python_executable") else "")
        + f"; **libraries:** {libs}",
        f"- **samplerbench commit:** {commit}; sweep {header.get('sweep_id', '?')} "
        f"started {header.get('started_at', '?')}",
        f"- **Configuration:** {cfg.get('chains')} chains × ({cfg.get('tune')} warmup + "
        f"{cfg.get('draws')} draws), target accept {cfg.get('target_accept')}, max tree depth "
        f"{cfg.get('max_treedepth')}, float64, {runs_text(cfg)}, each in a fresh "
        f"process, **cache mode `{cfg.get('cache')}`**, timeout {cfg.get('timeout_s')} s per run",
    ] + ([f"- **Total wall time of the sweep:** {header['total_s']:.0f} s"] if header.get("total_s") else [])


def _sweep_status_lines(header: dict, records: list[RunRecord]) -> list[str]:
    """Complete or not, how many sessions, and whether the environment moved between them."""
    lines = []
    planned = header.get("planned")
    measured = len([r for r in records if not r.get("priming")])
    if header.get("finished_at"):
        lines.append(f"- **Sweep:** complete, {measured} measurements, finished {header['finished_at']}")
    elif planned:
        of = f"of at most {planned}" if (header.get("config") or {}).get("runs") == "auto" else f"of {planned} planned"
        lines.append(f"- **Sweep: INCOMPLETE** — {measured} {of} measurements; finish it with "
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


def where_cells_ran(records: list[RunRecord]) -> list[str]:
    """For a --cluster sweep: each (model, n) cell's host, machine and Dask worker(s)."""
    rows: dict[tuple, dict] = {}
    for r in records:
        if not r.get("host"):
            continue
        row = rows.setdefault((r["model"], r["n"]), {"hosts": set(), "machines": set(), "workers": set(), "count": 0})
        row["hosts"].add(r["host"])
        row["machines"].add(record_machine(r))
        row["workers"].add(r.get("dask_worker") or "?")
        row["count"] += 0 if r.get("priming") else 1
    if not rows:
        return []
    frame = pd.DataFrame([{"model": model, "n": n, "host": ", ".join(sorted(row["hosts"])),
                           "machine": "; ".join(sorted(row["machines"])),
                           "Dask worker": ", ".join(sorted(row["workers"])), "measurements": row["count"]}
                          for (model, n), row in sorted(rows.items())])
    return ["## Where each cell ran", "",
            "Measured on a Dask cluster (`--cluster`): every backend and run of one (model, n) on one "
            "machine, so each table below compares runs of one machine.", "",
            frame.to_markdown(index=False), ""]


def machines_per_model(records: list[RunRecord]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for r in records:
        if record_machine(r):
            found.setdefault(r["model"], set()).add(record_machine(r))
    return found


def data_lines(records: list[RunRecord], model: str) -> list[str]:
    """Where the model's data came from and, when --n does not change them, that it does not;
    which parameters were left out of a model reported by default (from the records: a report
    rebuilt elsewhere still says it)."""
    lines = []
    for r in records:
        if r.get("model") == model and r.get("status") == "ok" and r.get("data_from"):
            why = str(r.get("n_meaning") or "").removeprefix("nothing:").replace("(--n is ignored)", "").strip()
            applies = "" if r.get("n_applies", True) else (
                " `--n` does not change them" + (f" ({why})." if why and why != "the data are fixed" else "."))
            lines = [f"Data of {model}: {r['data_from']}.{applies}", ""]
            break
    # A model with more sampled parameters than are reported by default says which it left out.
    cut = sorted({r["parameters_note"] for r in records if r.get("model") == model and r.get("parameters_note")})
    return lines + [f"Parameters: {note}.\n" for note in cut]


def answer_block(summary: Summary, model: str, n, figures: dict[str, str], config: dict | None = None) -> list[str]:
    """The section that opens a model at one n: the verdict in words, the break-even plot and
    where the lines cross."""
    sentences = model_verdict(summary, model, n)
    if not sentences:
        return []
    block = [f"## {model}, n = {n}: the answer", ""]
    block += [f"- {sentence}" for sentence in sentences]
    block += ["", f"Time to {headline_target(summary.ess_targets):,} ESS counts everything a user waits for: import, compile, "
              "warmup, the draws needed and the rest of end-to-end. " + rule_text(config or {}), ""]
    if figures.get("break_even"):
        block += [f"![{model}, n = {n}: seconds to a target ESS, per backend]({figures['break_even']})", ""]
    if figures.get("error"):
        block += [f"![{model}, n = {n}: error against the reference per gradient and per second]({figures['error']})", ""]
    crossings = break_even_table(summary, model, n)
    if not crossings.empty:
        block += ["Fastest backend by ESS needed (where the lines of the plot cross; beyond the ESS a run "
                  "reached, the draws are extrapolated at its measured rate):", "",
                  crossings.to_markdown(index=False), ""]
    return block


def posterior_block(summary: Summary, model: str, n) -> list[str]:
    """Mean ± sd per reported parameter per backend, beside the reference and each backend's accuracy."""
    rows = posterior_rows(summary.frame, model, n)
    table = summary.table[(summary.table["model"] == model) & (summary.table["n"] == n)]
    shown, hidden = posterior_table(rows, table)
    if shown.empty:
        return []
    has_reference = "reference" in shown
    lines = [f"### {model}, n = {n}: the posterior", "",
             "Mean ± sd per parameter, pooled over each backend's ok runs (both cache modes)"
             + (f", beside the reference posterior ({reference_words(summary.records, model)}) and each "
                "backend's accuracy against it:" if has_reference else
                ": no reference posterior for these data (`python scripts/reference.py "
                f"{model} --n {n}` makes one), so accuracy is not scored:"), "",
             shown.to_markdown(index=False), ""]
    if hidden:
        lines += [f"{hidden} more parameter elements are in the posterior CSV (`<stem>-posterior.csv`).", ""]
    return lines


def render_markdown(summary: Summary, header: dict, plots: dict[tuple, dict[str, str]] | None = None) -> str:
    """The report; ``plots`` maps (model, cache) to {"times": file, "scaling": file} to embed."""
    plots = plots or {}
    records, table = summary.records, summary.table
    lines = ["# samplerbench report", ""]
    lines += _environment_lines(header)
    lines += _sweep_status_lines(header, records)
    lines.append("")
    lines += where_cells_ran(records) + grid_block(summary)
    machines, races = machines_per_model(records), races_for(summary, header)
    if table.empty:
        lines += ["No run has been recorded for this sweep yet.", ""]
    overviews = {(model, cache): _overview_block(model, cache, part, machines, plots.get((model, cache), {}))
                 for (model, cache), part in (table.groupby(["model", "cache"], sort=False) if not table.empty else [])}
    shown = set()
    for (model, n, cache), part in table.groupby(["model", "n", "cache"], sort=False):
        if (model, n) not in shown:
            lines += data_lines(records, model)
            lines += answer_block(summary, model, n, plots.get((model, n), {}), header.get("config"))
            lines += race_block(races, model, n)
            lines += posterior_block(summary, model, n)
            shown.add((model, n))
        if (model, cache) not in shown:
            lines += overviews.get((model, cache), [])
            shown.add((model, cache))
        part = part.reset_index(drop=True)
        lines += _cell_tables(summary, model, n, cache, part)
        lines += _cell_notes(summary.frame, model, n, cache, part)
    lines += ["## What the numbers mean", ""]
    lines += [f"- `{k}`: {v}." for k, v in COLUMN_MEANINGS.items()]
    lines += ["", "Timings are seconds of `time.perf_counter`; see the README and PROTOCOL for details.", ""]
    return "\n".join(lines)


def _overview_block(model: str, cache: str, part: pd.DataFrame, machines: dict, figures: dict) -> list[str]:
    """Per model and cache mode: how each backend grows with n (several n), where the time goes."""
    block = []
    ns = sorted(part["n"].unique())
    if len(ns) > 1 and len(machines.get(model, ())) > 1:
        block += [f"## {model}, cache `{cache}`: no n-scaling", "",
                  f"Its cells ran on {len(machines[model])} different machines (see where each cell ran): "
                  "a line across n would compare machines, not n.", ""]
    elif len(ns) > 1:
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
    return block


def _cell_tables(summary: Summary, model: str, n: int, cache: str, part: pd.DataFrame) -> list[str]:
    """One (model, n, cache) cell's heading and tables: headline, time to ESS, spread, quality."""
    return [f"## {model}, n = {n}, cache `{cache}`", "",
            f"Cache `{cache}`: {CACHE_MEANING.get(cache, '')}.", "",
            *([floor_sentence(summary.floors[(model, n)]), ""] if (model, n) in summary.floors else []),
            "Headline: minimum over runs (as in the reference table) and the median.", "",
            headline_table(part).to_markdown(index=False), "",
            "Time to a target ESS: seconds from the start of the process until the slowest parameter "
            "has that bulk ESS (the fixed costs, then the draws needed at the run's measured rate; "
            "per run, then the median and range over runs):", "",
            time_to_ess_table(part, summary.ess_targets).to_markdown(index=False), "",
            "All timings, min / median / max over the ok runs:", "",
            spread_table(part).to_markdown(index=False), "",
            "Sampling quality (median over ok runs):", "",
            quality_table(part).to_markdown(index=False), "",
            *(["Error against the reference per work (README, \"Which algorithm\"): b² = (running mean − "
               "reference mean)² / reference variance, of x and x², the worst element; the gradients "
               "(warmup included) and seconds from process start after which it stays below 0.01 (about "
               "100 effective draws), median [min–max] over the runs that got there; `never`: no run did:", "",
               error_table(part).to_markdown(index=False), ""] if has_error_traces(part) else [])]


def _cell_notes(frame: pd.DataFrame, model: str, n: int, cache: str, part: pd.DataFrame) -> list[str]:
    """What a cell's tables cannot say: harness overhead, a backend below the floor, missing
    warmup gradients, unstable spreads, backends not applicable, runs not measured or not trusted."""
    lines = []
    overhead = pd.to_numeric(
        frame.loc[(frame["model"] == model) & (frame["n"] == n) & (frame["cache"] == cache)
                  & (frame["status"] == "ok"), "harness_overhead_s"] if "harness_overhead_s" in frame else pd.Series(dtype=float),
        errors="coerce",
    )
    if overhead.notna().any():
        lines += [f"Harness overhead per run (process − import − end-to-end − diagnostics): "
                  f"median {overhead.median():.2f} s, max {overhead.max():.2f} s.", ""]
    lines += density_note(frame, model, n, cache)
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
    unstable = part[part["unstable"].fillna("") != ""] if "unstable" in part else part.iloc[0:0]
    if not unstable.empty:
        lines += ["Unstable measurements (standard deviation over runs above "
                  f"{UNSTABLE_RELATIVE_SD:.0%} of the mean; the median is a rough guide only, and more runs "
                  "(`--runs`) or a quieter machine would tighten it): "
                  + "; ".join(f"**{r['sampler']}** ({r['unstable']})" for _, r in unstable.iterrows()) + ".", ""]
    elsewhere = part[part["status"] == NOT_APPLICABLE]
    if not elsewhere.empty:
        lines += [f"Not applicable: {', '.join(f'**{s}** ({lang})' for s, lang in zip(elsewhere['sampler'], elsewhere['language']))}: "
                  f"{model} is not written in their language.", ""]
    problems = part[~part["status"].isin(["ok", NOT_APPLICABLE])]
    if not problems.empty:
        lines.append("Not measured, or not to be trusted:")
        lines.append("")
        for _, row in problems.iterrows():
            detail = row["disagreement"] if row["status"] == "disagrees" else row["reason"]
            lines.append(f"- **{row['sampler']}** ({row['status']}): {detail}")
        lines.append("")
    return lines


def terminal_table(summary: Summary) -> str:
    """The headline tables (and, for several n, sampling and end-to-end against n) for a terminal."""
    table = summary.table
    parts = []
    for (model, n, cache), part in table.groupby(["model", "n", "cache"], sort=False):
        parts.append(f"{model}, n = {n}, cache {cache}\n" + headline_table(part.reset_index(drop=True)).to_markdown(index=False))
    for (model, cache), part in table.groupby(["model", "cache"], sort=False) if not table.empty else []:
        if part["n"].nunique() > 1:
            for metric, label in (("sampling_s", "sampling s"), ("end_to_end_s", "end-to-end s")):
                parts.append(f"{model}, cache {cache}: {label} (median) against n\n"
                             + scaling_table(part, metric).to_markdown(index=False))
    for (model, n), part in table.groupby(["model", "n"], sort=False) if not table.empty else []:
        part = part[part["ok"] > 0]
        if not part.empty:
            parts.append(f"{model}, n = {n}: time to a target ESS (median seconds from process start)\n"
                         + answer_table(part.reset_index(drop=True), summary.ess_targets).to_markdown(index=False))
            if has_error_traces(part):
                parts.append(f"{model}, n = {n}: error against the reference per work (b² < 0.01)\n"
                             + error_table(part.reset_index(drop=True)).to_markdown(index=False))
    verdict = terminal_verdict(summary)
    return "\n\n".join(parts + ([verdict] if verdict else []))
