"""A sweep of many models as one table: model × backend, each cell the backend's accuracy against
the model's reference (accurate / biased / inconclusive) and its median time to 1 000 ESS, or
why it has none (failed, skipped, not applicable). The all-posteriors sweep of posteriordb's
posteriors reads this first; a backend skipped everywhere is a sentence, not a column."""

from __future__ import annotations

import math

import pandas as pd

from samplerbench.analysis.statistics import RHAT_LIMIT  # a worse R-hat bars a backend from winning
from samplerbench.fields import NOT_APPLICABLE

ESS_COLUMN = "time_to_ess_1000_s_median"


def _cell(row) -> str:
    if row["status"] == NOT_APPLICABLE:
        return "n/a"
    if row["status"] != "ok":
        return str(row["status"])
    accuracy = str(row.get("accuracy") or "").split(":")[0].split(" (")[0] or "no reference"
    seconds = row.get(ESS_COLUMN)
    time_text = f"{seconds:.1f} s" if isinstance(seconds, float) and not math.isnan(seconds) else "never"
    divergent = " ⚠ divergent" if (row.get("divergent_runs") or 0) > 0 else ""
    rhat = row.get("rhat_max_worst")
    rhat_text = f" ⚠ R-hat {rhat:.3f}" if isinstance(rhat, float) and rhat > RHAT_LIMIT else ""
    return f"{accuracy} · {time_text}{divergent}{rhat_text}"


def grid(summary, cache: str = "cold") -> tuple[pd.DataFrame, dict[str, str]]:
    """The table (index: model, columns: backends run somewhere) and the backends skipped for
    every model, with the reason."""
    table = summary.table
    part = table[table["cache"] == cache] if not table.empty else table
    if part.empty:
        return pd.DataFrame(), {}
    skipped = {sampler: str(group["reason"].iloc[0]).split(";")[0]
               for sampler, group in part.groupby("sampler", sort=False) if set(group["status"]) == {"skipped"}}
    shown = part[~part["sampler"].isin(skipped)]
    cells = shown.assign(cell=shown.apply(_cell, axis=1))
    order = list(dict.fromkeys(shown["sampler"]))
    frame = cells.pivot_table(index="model", columns="sampler", values="cell", aggfunc="first")[order]
    return frame.fillna(""), skipped


def grid_block(summary) -> list[str]:
    """The report's section, for a sweep of more than one model (cold runs; warm where no cold)."""
    if summary.table.empty or summary.table["model"].nunique() < 2:
        return []
    cache = "cold" if "cold" in set(summary.table["cache"]) else "warm"
    frame, skipped = grid(summary, cache)
    lines = [f"## Every model at a glance ({cache} runs)", "",
             "Each cell: the backend's accuracy against the model's reference posterior (accurate: error "
             "plus 2 MCSE within 0.1 posterior sd for every mean and sd; biased: a real error over 0.1 sd; "
             "inconclusive: too few effective draws to tell), then its median time to 1 000 bulk ESS from "
             "process start (never: the run's ESS stayed below 1 000); ⚠ marks a divergent transition or an "
             f"R-hat over {RHAT_LIMIT}. Details per model below.", "",
             frame.reset_index().to_markdown(index=False), ""]
    if skipped:
        lines += ["Skipped everywhere: " + "; ".join(f"{name} ({why})" for name, why in skipped.items()), ""]
    return lines
