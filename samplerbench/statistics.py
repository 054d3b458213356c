"""Statistics over run records, computed once per report: min / median / max per backend,
quality warnings, cross-backend agreement, log-log slopes. Markdown, CSV and plots are views of
the one ``Summary`` this module builds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from samplerbench.fields import KEYS, QUALITY, RUN_DERIVED, TIMING_FIELDS, UNMEASURED
from samplerbench.records import gradient_floors, records_frame
from samplerbench.time_to_ess import DEFAULT_ESS_TARGETS, headline_target, time_to_ess_column
from samplerbench.uncertainty import is_unstable, relative_sd


# Quality warnings that matter: any divergence, R-hat above 1.01, bulk ESS below 400.
RHAT_LIMIT = 1.01
ESS_LIMIT = 400

# Two backends disagree when posterior means differ by more than this many combined MCSE.
AGREEMENT_MCSE = 4.0


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


def pool_estimates(per_run: list[dict[str, dict]], stats=("mean",)) -> dict[str, dict]:
    """parameter -> {stat: mean over runs, mcse_<stat>: √Σ MCSE² / runs} for each of ``stats``,
    pooling a backend's independent runs (one formula for agreement and accuracy). A run whose
    entry lacks a stat or its MCSE is left out of that parameter's pool."""
    entries: dict[str, list[dict]] = {}
    for posterior in per_run:
        for name, entry in (posterior or {}).items():
            if all(entry.get(k) is not None for stat in stats for k in (stat, f"mcse_{stat}")):
                entries.setdefault(name, []).append(entry)
    pooled = {}
    for name, found in entries.items():
        k = len(found)
        pooled[name] = {}
        for stat in stats:
            pooled[name][stat] = sum(e[stat] for e in found) / k
            pooled[name][f"mcse_{stat}"] = math.sqrt(sum(e[f"mcse_{stat}"] ** 2 for e in found)) / k
    return pooled


def pooled_posteriors(ok: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """parameter -> (mean over runs, its MCSE), pooling a backend's independent runs."""
    posteriors = [p for p in ok["posterior"] if isinstance(p, dict)] if "posterior" in ok else []
    return {name: (e["mean"], e["mcse_mean"]) for name, e in pool_estimates(posteriors).items()}


def score_pooled(scored_runs: list[dict[str, dict]]) -> dict:
    """The reference score (``reference.score``) of a backend's runs pooled, mean and sd alike:
    a bias too small to be certain in one run shows over several. ``scored_runs`` are the runs'
    ``accuracy_parameters``, which carry the reference's numbers beside the run's."""
    from samplerbench.reference import score

    pooled = pool_estimates(scored_runs, ("mean", "sd"))
    reference = {}
    for run in scored_runs:
        for name, e in run.items():
            if name in pooled and name not in reference:
                reference[name] = {"mean": e["ref_mean"], "sd": e["ref_sd"], "mcse_mean": e["ref_mcse_mean"],
                                   "mcse_sd": e["ref_mcse_sd"]}
    return score(pooled, {"parameters": reference}) if pooled else {}


def agreement(frame: pd.DataFrame, biased: set[tuple] = frozenset()) -> dict[tuple, dict[str, str]]:
    """(model, n, cache) -> {backend: "" if it agrees, else which means disagree}.

    Two backends disagree on a parameter when their pooled posterior means differ by more
    than 4 combined MCSE. A backend is flagged when it disagrees with more than half of the
    other backends (with the only other one, when there are two), so one wrong backend does
    not taint the correct ones. Backends found biased against a reference posterior (``biased``:
    (model, n, cache, sampler) keys) are judged but are no witness against the others: the
    reference already says which side is wrong.
    """
    out: dict[tuple, dict[str, str]] = {}
    ok_runs = frame[frame["status"] == "ok"]
    for key, part in ok_runs.groupby(["model", "n", "cache"], sort=False):
        pooled = {name: pooled_posteriors(g) for name, g in part.groupby("sampler", sort=False)}
        verdicts = {}
        for name, mine in pooled.items():
            others = [o for o in pooled if o != name and (*key, o) not in biased]
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


def accuracy_summary(ok: pd.DataFrame) -> dict:
    """A backend's accuracy against the reference posterior over its ok runs: "biased" when any
    scored run is biased (a fast backend must not win on one lucky run) or when its runs pooled
    are (a bias too small to be certain in one run shows over several), "accurate" otherwise,
    "" when no run had a reference. ``accuracy_worst`` names the worst parameter: of the pooled
    runs when there are several, else of the run."""
    from samplerbench.reference import BIASED

    scored = [r for _, r in ok.iterrows() if isinstance(r.get("accuracy"), str)]
    if not scored:
        return {"accuracy": "", "accuracy_worst": "", "accuracy_max_error_sd_median": math.nan}
    biased = [r for r in scored if r["accuracy"] == BIASED]
    pooled = score_pooled([r["accuracy_parameters"] for r in scored if isinstance(r.get("accuracy_parameters"), dict)])
    worst_run = max(scored, key=lambda r: (r["accuracy"] == BIASED, r.get("accuracy_max_error_sd") or 0.0))
    errors = pd.to_numeric(pd.Series([r.get("accuracy_max_error_sd") for r in scored]), errors="coerce")
    words = []
    if biased:
        words.append(f"{len(biased)}/{len(scored)} runs")
    if len(scored) > 1 and pooled.get("accuracy") == BIASED:
        words.append(f"{len(scored)} runs pooled")
    if len(scored) > 1 and pooled and (pooled["accuracy"] == BIASED or not biased):
        worst = f"{pooled['accuracy_worst']} ({len(scored)} runs pooled)"
    else:
        worst = str(worst_run.get("accuracy_worst") or "")
    return {
        "accuracy": f"biased ({', '.join(words)})" if words else "accurate",
        "accuracy_worst": worst,
        "accuracy_max_error_sd_median": errors.median(),
    }


def unstable_fields(ok: pd.DataFrame, columns) -> str:
    """The columns whose runs spread by more than the stated threshold (pyperf's warning),
    each with its standard deviation as a share of the mean."""
    found = []
    for column in columns:
        values = pd.to_numeric(ok[column], errors="coerce").dropna()
        if is_unstable(values):
            label = column.removesuffix("_s").replace("_", " ").replace("end to end", "end-to-end")
            if column.startswith("time_to_ess_"):
                label = f"to {int(column.split('_')[3]):,} ESS"
            found.append(f"{label} {relative_sd(values):.0%}")
    return ", ".join(found)


def aggregate(frame: pd.DataFrame, sampler_order: list[str] | None = None,
              floors: dict[tuple, float] | None = None, ess_targets=DEFAULT_ESS_TARGETS) -> pd.DataFrame:
    """min / median / max of every timing over the ok runs of each (model, n, cache, sampler)."""
    floors = floors or {}
    spread_columns = (*TIMING_FIELDS, *RUN_DERIVED, *(time_to_ess_column(t) for t in ess_targets))
    watched = ("sampling_s", "end_to_end_s", time_to_ess_column(headline_target(ess_targets)))
    accuracy = {key: accuracy_summary(group[group["status"] == "ok"])
                for key, group in frame.groupby(KEYS, sort=False, dropna=False)}
    verdicts = agreement(frame, {key for key, a in accuracy.items() if a["accuracy"].startswith("biased")})
    rows = []
    for key, group in frame.groupby(KEYS, sort=False, dropna=False):
        ok = group[group["status"] == "ok"]
        row = dict(zip(KEYS, key))
        row["language"] = language_of(row["sampler"])
        row["runs"] = len(group)
        row["ok"] = len(ok)
        row["status"] = _status(group)
        not_ok = group[group["status"] != "ok"]
        row["reason"] = "; ".join(dict.fromkeys(str(r) for r in not_ok["reason"].dropna() if str(r)))
        for column in spread_columns:
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
        row["divergent_runs"] = int((pd.to_numeric(ok["divergences"], errors="coerce") > 0).sum()) if len(ok) else 0
        row["warnings"] = quality_warnings(ok) if len(ok) else ""
        row["unstable"] = unstable_fields(ok, watched) if len(ok) else ""
        splits = ok["phase_split"].dropna().unique() if "phase_split" in ok else []
        row["phase_split"] = ", ".join(sorted(splits))
        row.update(accuracy[key])
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


def language_of(sampler: str) -> str:
    """The language a backend runs (its class says), "–" for a name this checkout lacks."""
    import samplers  # the registry and backend classes import no sampling library

    return samplers.get(sampler).language if sampler in samplers.REGISTRY else "–"


def _status(group: pd.DataFrame) -> str:
    statuses = set(group["status"])
    if statuses == {"ok"}:
        return "ok"
    if len(statuses) == 1 and statuses <= set(UNMEASURED):
        return next(iter(statuses))
    if "ok" in statuses:
        return "partly failed"
    return "failed"


def loglog_slope(ns: list[float], values: list[float]) -> float:
    """Least-squares slope of log(value) on log(n): value grows like n^slope."""
    points = [(math.log(n), math.log(v)) for n, v in zip(ns, values) if v == v and v > 0]
    if len(points) < 2:
        return math.nan
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else math.nan



@dataclass
class Summary:
    """One sweep's records, aggregated once: every view (markdown, terminal, CSV, plots) reads this."""

    records: list[dict]
    frame: pd.DataFrame  # one row per timed run
    table: pd.DataFrame  # one row per (model, n, cache, sampler)
    floors: dict[tuple, float]  # (model, n) -> gradient floor, µs
    ess_targets: tuple[int, ...] = DEFAULT_ESS_TARGETS


def summarize(records: list[dict], sampler_order: list[str] | None = None,
              ess_targets=DEFAULT_ESS_TARGETS) -> Summary:
    ess_targets = tuple(sorted(set(int(t) for t in ess_targets))) or DEFAULT_ESS_TARGETS
    frame = records_frame(records, ess_targets)
    floors = gradient_floors(records)
    return Summary(records, frame, aggregate(frame, sampler_order, floors, ess_targets), floors, ess_targets)
