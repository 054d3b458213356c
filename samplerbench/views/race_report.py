"""The report's words for an adaptive sweep (``--runs auto``): how runs were spent, and why a
row has fewer runs than another, replayed from the records (samplerbench.sweep.adaptive)."""

from __future__ import annotations

from samplerbench.analysis.race import AUTO, FIRST_LOOK, LEAVE_RATIO, MIN_RUNS, looks, verdict_alpha
from samplerbench.analysis.uncertainty import ALPHA


def races_for(summary, header: dict) -> dict | None:
    """(model, n) -> its CellRace for an adaptive sweep's records; None for a fixed sweep. Replayed
    once per Summary (kept with its verdicts; the sweep that just ran hands over its own)."""
    stored = (header or {}).get("config") or {}
    if stored.get("runs") != AUTO:
        return None
    if "races" not in summary.verdicts:
        from samplerbench.sweep.adaptive import races_of
        from samplerbench.sweep.config import SweepConfig

        cfg = SweepConfig(**{k: v for k, v in stored.items() if k in SweepConfig.__dataclass_fields__})
        summary.verdicts["races"] = races_of(cfg, summary.records)
    return summary.verdicts["races"]


def runs_text(config: dict) -> str:
    """The configuration's runs, in words."""
    if config.get("runs") != AUTO:
        return f"{config.get('runs')} runs per backend"
    budget = f" within {config['budget_min']:g} min" if config.get("budget_min") else ""
    return (f"adaptive runs ({MIN_RUNS} to {config.get('max_runs')} per backend{budget}; differences tested "
            f"at α = {verdict_alpha(config):.3g} per look)")


def rule_text(config: dict) -> str:
    """How the verdict tells two backends apart, at this sweep's level."""
    alpha = verdict_alpha(config)
    text = (f"Two backends differ only when the {1 - alpha:.1%} bootstrap interval of the ratio of their medians "
            f"excludes 1 *and* a Mann–Whitney test gives p < {alpha:.3g} (README, \"The answer\")").replace(".0%", " %")
    if config.get("runs") == AUTO:
        rounds = looks(int(config.get("max_runs")))
        text += (f"; with adaptive runs a difference is called real only at a look (round{'s' if len(rounds) > 1 else ''} "
                 f"{', '.join(map(str, rounds))}), each at {ALPHA:g} / {len(rounds)}, so stopping early cannot raise "
                 f"the chance of a false difference above {ALPHA:g}")
    return text + "."


def race_block(races: dict | None, model: str, n) -> list[str]:
    """Why each row has the runs it has: the race of (model, n), round by round."""
    race = (races or {}).get((model, n))
    if race is None:
        return []
    lines = [f"### {model}, n = {n}: the race (adaptive runs)", "",
             f"Every backend ran {MIN_RUNS} rounds (its cache modes interleaved); after each, a backend left when "
             f"two others were clearly faster in every sentence it could still win (the bootstrap interval "
             f"wholly above {LEAVE_RATIO:g}×, or from enough runs the verdict's rule), or when it cannot win; "
             f"a sentence was decided at a look (rounds {', '.join(map(str, looks(race.max_runs)))}; the first "
             f"is the fixed sweep's {FIRST_LOOK}). Race: "
             + (race.over if race.over else f"**cut short after round {race.round}** (interrupted or --budget): "
                "`--resume` continues it") + ".", ""]
    lines += ["| backend | cache | runs | why no more |", "|:--|:--|--:|:--|"]
    for (name, cache), (after, why) in race.left.items():
        if why != "no ok run":
            lines.append(f"| {name} | {cache} | {after} | left the race after round {after}: {why} |")
    for cache, names in race.in_race.items():
        for name in names:
            lines.append(f"| {name} | {cache} | {race.round} | in the race to its end ({race.over or 'cut short'}) |")
    decided = [f"- {key}: decided after round {after}: {why}" for key, (after, why, _, _) in race.decided.items()]
    if decided:
        lines += ["", "Sentences of the verdict:", "", *decided]
    return lines + [""]
