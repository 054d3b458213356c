"""A run's posterior against its model's reference posterior: accurate, biased or inconclusive.

References are long Stan runs written by ``scripts/reference.py`` (samplerbench.tools.reference,
which states their definition) as ``models/<name>/references/n<N>.json``; a run finds its
reference by the digest of its data. Imports nothing heavy: the measured worker scores its own
run with it, outside every timing, and the reports re-score pooled runs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

FOLDER = "references"


def reference_files(spec) -> list[Path]:
    return sorted((spec.folder / FOLDER).glob("*.json"))


def find(spec, data_sha256: str) -> tuple[Path, dict] | None:
    """The reference of this model computed on exactly this data, or None. A model of a
    posteriordb posterior (info.json's "posteriordb") has posteriordb's gold draws as its
    reference (samplerbench.analysis.gold), never one of ours."""
    if getattr(spec, "posteriordb", None):
        from samplerbench.analysis import gold

        return gold.reference(spec, data_sha256)
    for path in reference_files(spec):
        reference = json.loads(path.read_text())
        if reference.get("data_sha256") == data_sha256:
            return path, reference
    return None


# Three outcomes per parameter element, for its mean and its sd, errors in reference sds:
# - biased: the error is both real (|z| > Z_LIMIT against the combined Monte Carlo standard
#   errors of run and reference) and large enough to matter (more than ERROR_LIMIT);
# - accurate: the error plus ACCURATE_MCSE combined MCSE is within ERROR_LIMIT: the run shows
#   it is close, not merely that it cannot tell;
# - inconclusive: neither; usually too few effective draws (a broken run's own MCSE explodes,
#   so its z stays small: before, such runs scored "accurate").
# A run is biased if any element is, else inconclusive if any element is, else accurate.
Z_LIMIT = 4.0
ERROR_LIMIT = 0.1
ACCURATE_MCSE = 2.0
ACCURATE, BIASED, INCONCLUSIVE = "accurate", "biased", "inconclusive"


def _z(difference: float, *errors) -> float:
    combined = math.sqrt(sum(e * e for e in errors if e is not None and e == e))
    return difference / combined if combined > 0 else math.inf * (1 if difference else 0)


def _mcse_sd_units(sd_ref: float, *errors) -> float:
    return math.sqrt(sum(e * e for e in errors if e is not None and e == e)) / sd_ref


def score(posterior: dict[str, dict], reference: dict) -> dict:
    """Per parameter element the errors of the mean and sd in reference sds, their z-scores and
    outcome (accurate / biased / inconclusive); the run's ``accuracy`` and its worst parameter."""
    scored: dict[str, dict] = {}
    for name, ref in reference["parameters"].items():
        mine = posterior.get(name)
        if not mine or mine.get("mean") is None:
            continue
        sd_ref = ref["sd"] or math.nan
        mean_err = (mine["mean"] - ref["mean"]) / sd_ref
        sd_err = (mine["sd"] - ref["sd"]) / sd_ref
        mean_z = _z(mine["mean"] - ref["mean"], mine.get("mcse_mean"), ref["mcse_mean"])
        sd_z = _z(mine["sd"] - ref["sd"], mine.get("mcse_sd"), ref["mcse_sd"])
        mean_mcse = _mcse_sd_units(sd_ref, mine.get("mcse_mean"), ref["mcse_mean"])
        sd_mcse = _mcse_sd_units(sd_ref, mine.get("mcse_sd"), ref["mcse_sd"])
        biased = ((abs(mean_z) > Z_LIMIT and abs(mean_err) > ERROR_LIMIT)
                  or (abs(sd_z) > Z_LIMIT and abs(sd_err) > ERROR_LIMIT))
        accurate = (abs(mean_err) + ACCURATE_MCSE * mean_mcse <= ERROR_LIMIT
                    and abs(sd_err) + ACCURATE_MCSE * sd_mcse <= ERROR_LIMIT)
        scored[name] = {"mean": mine["mean"], "sd": mine["sd"], "mcse_mean": mine.get("mcse_mean"),
                        "mcse_sd": mine.get("mcse_sd"), "ref_mean": ref["mean"], "ref_sd": ref["sd"],
                        "ref_mcse_mean": ref["mcse_mean"], "ref_mcse_sd": ref["mcse_sd"],
                        "mean_error_sd": mean_err, "mean_z": mean_z, "sd_error_sd": sd_err, "sd_z": sd_z,
                        "mean_mcse_sd": mean_mcse, "sd_mcse_sd": sd_mcse,
                        "biased": biased, "outcome": BIASED if biased else ACCURATE if accurate else INCONCLUSIVE}
    if not scored:
        return {}
    rank = {BIASED: 2, INCONCLUSIVE: 1, ACCURATE: 0}
    outcome = max((v["outcome"] for v in scored.values()), key=rank.get)
    worst = max(scored, key=lambda k: (rank[scored[k]["outcome"]],
                                       max(abs(scored[k]["mean_error_sd"]) + ACCURATE_MCSE * scored[k]["mean_mcse_sd"],
                                           abs(scored[k]["sd_error_sd"]) + ACCURATE_MCSE * scored[k]["sd_mcse_sd"])))
    w = scored[worst]
    worst_text = (f"{worst}: mean {w['mean_error_sd']:+.2f} sd (z {w['mean_z']:+.1f}), "
                  f"sd {w['sd_error_sd']:+.2f} sd (z {w['sd_z']:+.1f})")
    if outcome == INCONCLUSIVE:
        reach = max(abs(w["mean_error_sd"]) + ACCURATE_MCSE * w["mean_mcse_sd"],
                    abs(w["sd_error_sd"]) + ACCURATE_MCSE * w["sd_mcse_sd"])
        worst_text += (f"; error + {ACCURATE_MCSE:g} MCSE reaches {reach:.2f} sd, over the {ERROR_LIMIT:g} sd "
                       "tolerance: too few effective draws to tell")
    return {
        "accuracy": outcome,
        "accuracy_worst": worst_text,
        "accuracy_worst_parameter": worst,
        "accuracy_max_error_sd": max(max(abs(v["mean_error_sd"]), abs(v["sd_error_sd"])) for v in scored.values()),
        "accuracy_parameters": scored,
    }


def score_run(spec, data: dict, posterior: dict[str, dict]) -> dict:
    """The record's accuracy fields, or ``{"accuracy": None, ...}`` with why when there is no reference."""
    import models

    found = find(spec, models.data_sha256(data))
    if found is None:
        return {"accuracy": None, "accuracy_reference": None}
    path, reference = found
    where = (f"posteriordb {reference['posteriordb']}" if reference.get("backend") == "posteriordb"
             else f"{spec.name}/{FOLDER}/{path.name}")
    mismatch = element_mismatch(posterior, reference)
    if mismatch:
        return {"accuracy": None, "accuracy_reference": where, "accuracy_worst": mismatch}
    return {**score(posterior, reference), "accuracy_reference": where}


def element_mismatch(posterior: dict[str, dict], reference: dict) -> str:
    """Where the run's elements of a parameter differ from the reference's (another shape: the
    model is not the reference's posterior), in words; "" where they are the same."""
    problems = []
    for name in sorted({label.split("[")[0] for label in reference["parameters"]}):
        theirs = {label for label in reference["parameters"] if label.split("[")[0] == name}
        mine = {label for label in posterior if label.split("[")[0] == name}
        if mine and mine != theirs:
            problems.append(f"{name} has {len(mine)} elements in the run and {len(theirs)} in the reference")
    return ("not scored: " + "; ".join(problems) + " (the model's parameter is not the reference posterior's)"
            if problems else "")


def reference_words(records, model: str) -> str:
    """Whose reference a model's runs were scored against, in words (their ``accuracy_reference``)."""
    gold = next((str(r["accuracy_reference"]) for r in records if r.get("model") == model
                 and str(r.get("accuracy_reference") or "").startswith("posteriordb ")), None)
    return (f"{gold}: posteriordb's gold-standard draws; see the README, *Gold standards: posteriordb*" if gold
            else "long Stan runs; see the README, *Correct, not just consistent*")
