"""Statistics over run records, computed once per report: min / median / max per backend,
quality warnings, cross-backend agreement, log-log slopes. Markdown, CSV and plots are views of
the one ``Summary`` this module builds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from samplerbench.fields import KEYS, KIND_WORDS, MCMC, QUALITY, RUN_DERIVED, TIMING_FIELDS, UNMEASURED
from samplerbench.run_record import RunRecord, upgrade
from samplerbench.store.records import GradientFloor, gradient_floors, records_frame
from samplerbench.time_to_ess import DEFAULT_ESS_TARGETS, headline_target, time_to_ess_column
from samplerbench.analysis.uncertainty import ALPHA, is_unstable, relative_sd


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
    """The reference score (``accuracy.score``) of a backend's runs pooled, mean and sd alike:
    a bias too small to be certain in one run shows over several. ``scored_runs`` are the runs'
    ``accuracy_parameters``, which carry the reference's numbers beside the run's."""
    from samplerbench.analysis.accuracy import score

    pooled = pool_estimates(scored_runs, ("mean", "sd"))
    reference = {}
    for run in scored_runs:
        for name, e in run.items():
            if name in pooled and name not in reference:
                reference[name] = {"mean": e["ref_mean"], "sd": e["ref_sd"], "mcse_mean": e["ref_mcse_mean"],
                                   "mcse_sd": e["ref_mcse_sd"]}
    return score(pooled, {"parameters": reference}) if pooled else {}


def _disagreements(mine: dict, theirs: dict) -> list[str]:
    """The parameters whose pooled means differ by more than AGREEMENT_MCSE combined MCSE."""
    found = []
    for param, (mean, mcse) in mine.items():
        if param not in theirs:
            continue
        other_mean, other_mcse = theirs[param]
        combined = math.hypot(mcse, other_mcse)
        if combined > 0 and abs(mean - other_mean) > AGREEMENT_MCSE * combined:
            found.append(f"{param} {mean:.4g} vs {other_mean:.4g} ({abs(mean - other_mean) / combined:.1f} MCSE)")
    return found


def _majority_against(name: str, voters: list[str], pairs: dict) -> list[str]:
    """The voters ``name`` disagrees with, when they are more than half of them (or the only one)."""
    against = [o for o in voters if pairs.get((name, o))]
    return against if voters and len(against) > len(voters) / 2 else []


def agreement(frame: pd.DataFrame, biased: set[tuple] = frozenset()) -> dict[tuple, dict[str, str]]:
    """(model, n, cache) -> {backend: "" if it agrees, else why not and which means disagree}.

    Two backends disagree on a parameter when their pooled posterior means differ by more
    than 4 combined MCSE. The vote is per model file (language), not per backend: four backends
    run the same pymc_model.py, so a wrong file would otherwise always have the majority. A
    backend is flagged when it disagrees with more than half of the other languages (a language
    disagrees when the backend disagrees with most of that language's backends). When every
    language is flagged, the split follows language lines and no file can be trusted over
    another: "the languages disagree". With one language only (a one-language model), the
    backends vote one each, as they then test the samplers, not the file. Backends found biased
    against a reference posterior (``biased``: (model, n, cache, sampler) keys) are judged but
    are no witness against the others: the reference already says which side is wrong.
    """
    import models

    out: dict[tuple, dict[str, str]] = {}
    ok_runs = frame[frame["status"] == "ok"]
    for key, part in ok_runs.groupby(["model", "n", "cache"], sort=False):
        pooled = {name: pooled_posteriors(g) for name, g in part.groupby("sampler", sort=False)}
        language = {name: language_of(name) for name in pooled}
        # An approximation or a biased MCMC method is judged but is no witness: its error is expected.
        witnesses = [name for name in pooled if (*key, name) not in biased and kind_of(name) == MCMC]
        pairs = {(a, b): _disagreements(pooled[a], pooled[b]) for a in pooled for b in witnesses if a != b}
        languages = list(dict.fromkeys(language[name] for name in witnesses))
        flagged: dict[str, tuple[list[str], str]] = {}
        for name in pooled:
            if len(set(language.values())) <= 1:
                against = _majority_against(name, [o for o in witnesses if o != name], pairs)
                why = "its posterior disagrees with most of the other backends"
            else:
                other_languages = [lang for lang in languages if lang != language[name]]
                against_languages = [lang for lang in other_languages if _majority_against(
                    name, [o for o in witnesses if language[o] == lang and o != name], pairs)]
                if not (other_languages and len(against_languages) > len(other_languages) / 2):
                    continue
                against = [o for o in witnesses if language[o] in against_languages and pairs.get((name, o))]
                why = (f"its posterior disagrees with the {', '.join(against_languages)} version"
                       f"{'s' if len(against_languages) > 1 else ''} of the model "
                       f"(it runs {models.LANGUAGE_FILES.get(language[name], language[name])})")
            if against and kind_of(name) != MCMC:  # what its kind allows: not a word on the model file
                why = (f"{KIND_WORDS.get(kind_of(name), kind_of(name))}: its posterior differs "
                       "from the MCMC rows', as its kind allows (it is judged by its error against the reference, "
                       "and is no witness of the model files)")
            if against:
                flagged[name] = (against, why)
        # The languages disagree only when MCMC witnesses of every language are flagged.
        if len(set(language.values())) > 1 and {language[f] for f in flagged if f in witnesses} >= set(languages):
            files = ", ".join(models.LANGUAGE_FILES.get(lang, lang) for lang in languages)
            flagged = {name: (against, f"the languages disagree ({files}), and no model file can be trusted over "
                                       "another" if name in witnesses else why)
                       for name, (against, why) in flagged.items()}
        out[key] = {name: (f"{flagged[name][1]}: " + "; ".join(f"vs {o}: {', '.join(pairs[(name, o)])}"
                                                              for o in flagged[name][0]))
                    if name in flagged else "" for name in pooled}
    return out


def accuracy_summary(ok: pd.DataFrame) -> dict:
    """A backend's accuracy against the reference posterior over its ok runs: "biased" when any
    scored run is biased (a fast backend must not win on one lucky run) or when its runs pooled
    are (a bias too small to be certain in one run shows over several); else "accurate" when
    its runs pooled (or its one run) show the error within the tolerance with two MCSE to spare;
    else "inconclusive" (too few effective draws to tell); "" when no run had a reference.
    ``accuracy_worst`` names the worst parameter: of the pooled runs when there are several,
    else of the run."""
    from samplerbench.analysis.accuracy import BIASED

    scored = [r for _, r in ok.iterrows() if isinstance(r.get("accuracy"), str)]
    if not scored:
        return {"accuracy": "", "accuracy_worst": "", "accuracy_max_error_sd_median": math.nan}
    # Each run is scored again from its own numbers (``accuracy_parameters`` carries the
    # reference's beside the run's), so a record written under an older rule reads by this one.
    scored = [{**r, **rescored} if isinstance(r.get("accuracy_parameters"), dict)
              and (rescored := score_pooled([r["accuracy_parameters"]])) else r for r in scored]
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
    if words:
        outcome = f"biased ({', '.join(words)})"
    else:  # the pooled runs decide (their MCSE is smaller), or the one run
        outcome = pooled["accuracy"] if len(scored) > 1 and pooled else str(worst_run["accuracy"])
    return {
        "accuracy": outcome,
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
              floors: dict[tuple, GradientFloor] | None = None, ess_targets=DEFAULT_ESS_TARGETS) -> pd.DataFrame:
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
        row["kind"] = kind_of(row["sampler"])
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
        cell_floor = floors.get((row["model"], row["n"]))
        floor = cell_floor.us_per_grad if cell_floor else math.nan
        row["floor_us_per_grad"] = floor
        # Chains run in parallel: on p cores the bare arithmetic costs floor / p of wall time
        # per gradient, so the ratio compares like with like.
        parallel = pd.to_numeric(ok.get("parallel_chains", pd.Series(dtype=float)), errors="coerce").median()
        parallel = parallel if parallel == parallel else 1.0
        row["parallel_chains"] = parallel
        row["overhead_x_floor"] = row["us_per_grad_median"] * parallel / floor if floor == floor else math.nan
        row.update(_traced_counts(ok))
        row["rhat_max_worst"] = pd.to_numeric(ok["rhat_max"], errors="coerce").max() if len(ok) else math.nan
        row["failed_runs"] = int((group["status"] == "failed").sum())
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


def _traced_counts(ok: pd.DataFrame) -> dict:
    """How many ok runs have an error trace, and how many of them got below the low-error line."""
    def present(column):
        return int(pd.to_numeric(ok.get(column, pd.Series(dtype=float)), errors="coerce").notna().sum())

    return {"traced_runs": present("b2_max_final"), "low_error_runs": present("grads_to_low_error")}


def language_of(sampler: str) -> str:
    """The language a backend runs (its class says), "–" for a name this checkout lacks."""
    import samplers  # the registry and backend classes import no sampling library

    return samplers.get(sampler).language if sampler in samplers.REGISTRY else "–"


def kind_of(sampler: str) -> str:
    """What kind of method a backend runs (fields.METHOD_KINDS), "–" for a name this checkout lacks."""
    import samplers

    return samplers.get(sampler).kind if sampler in samplers.REGISTRY else "–"


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

    records: list[RunRecord]
    frame: pd.DataFrame  # one row per timed run
    table: pd.DataFrame  # one row per (model, n, cache, sampler)
    floors: dict[tuple, GradientFloor]  # (model, n) -> its gradient floor
    ess_targets: tuple[int, ...] = DEFAULT_ESS_TARGETS
    # The level of the verdict's tests: ALPHA, or ALPHA per look of an adaptive sweep
    # (samplerbench.analysis.race.verdict_alpha, from the sweep's configuration).
    alpha: float = ALPHA
    # The verdict's answers, each computed once for every view (analysis.verdict fills it).
    verdicts: dict = field(default_factory=dict, repr=False, compare=False)


def summarize(records: list[RunRecord], sampler_order: list[str] | None = None,
              ess_targets=DEFAULT_ESS_TARGETS, alpha: float = ALPHA) -> Summary:
    records = [upgrade(r) for r in records]  # every view reads the current format
    ess_targets = tuple(sorted(set(int(t) for t in ess_targets))) or DEFAULT_ESS_TARGETS
    frame = records_frame(records, ess_targets)
    floors = gradient_floors(records)
    return Summary(records, frame, aggregate(frame, sampler_order, floors, ess_targets), floors, ess_targets, alpha)
