"""The race of one (model, n) cell of an adaptive sweep, advanced from its run records: which
(backend, cache) runs the next round owes, who left after which round and why, and when the race
is over (the rule is samplerbench.analysis.race). A function of the records alone, so a resumed
sweep continues the race where it stopped and a report rebuilt from the records says the same."""

from __future__ import annotations

from dataclasses import dataclass, field

from samplerbench.analysis.race import MIN_RUNS, Sentence, judge, look_alpha
from samplerbench.fields import KIND_WORDS
from samplerbench.run_record import record_kind, run_key
from samplerbench.time_to_ess import headline_target, time_to_ess_column


def sentences_of(summary, model, n, caches: tuple[str, ...]) -> list[Sentence]:
    """The sentences of the verdict that name a winner for (model, n): the fastest to the headline
    ESS, cold and warm; to a low error against the reference, where there is one; the fastest
    draws. Each with the values of the backends that may win it (the verdict's eligibility; for
    the low error, those that got there in every run), over the runs in ``summary``. The
    break-even sentence names no winner: it states where lines cross with the range where they
    cannot be told apart, whatever the runs."""
    from samplerbench.analysis.error_verdict import _low_error_reach
    from samplerbench.analysis.verdict import _eligible, _ok_runs, _values

    target = headline_target(summary.ess_targets)
    found = []
    for cache in caches:
        runs, (eligible, _) = _ok_runs(summary, model, n, cache), _eligible(summary, model, n, cache)
        found.append(Sentence(f"{cache}: time to {target:,} ESS", (cache,),
                              {name: _values(runs, name, time_to_ess_column(target)) for name in eligible},
                              what=f"time to {target:,} ESS"))
        if "b2_max_final" in runs:
            reach = {name: _low_error_reach(runs, name) for name in eligible}
            values = {name: _values(runs, name, "time_to_low_error_s") for name, (got, traced, _, _) in reach.items()
                      if traced and got == traced}
            if values:
                found.append(Sentence(f"{cache}: time to a low error", (cache,), values, what="time to a low error"))
    runs, (eligible, _) = _ok_runs(summary, model, n), _eligible(summary, model, n)
    found.append(Sentence("fastest draws", caches, {name: _values(runs, name, "draws_ess_per_s") for name in eligible},
                          lower_is_better=False, what="bulk ESS per second of drawing"))
    return found


@dataclass
class CellRace:
    """The race of one cell. ``advance`` takes the cell's records and moves through every round
    they complete; ``owed`` is then what the next round still needs."""

    model: str
    n: int
    backends: list[str]
    caches: tuple[str, ...]
    max_runs: int
    ess_targets: tuple[int, ...]
    round: int = 0  # rounds completed
    in_race: dict[str, list[str]] = field(default_factory=dict)  # cache -> backends of the next round
    left: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)  # (backend, cache) -> (round, why)
    gone: dict[str, set[str]] = field(default_factory=dict)  # sentence -> backends that left it
    # sentence -> (round, why, its contenders then, the cache modes it reads)
    decided: dict[str, tuple[int, str, list[str], tuple[str, ...]]] = field(default_factory=dict)
    over: str | None = None  # why the race ended

    def __post_init__(self):
        self.in_race = self.in_race or {cache: list(self.backends) for cache in self.caches}

    def owed(self, records: list[dict]) -> list[tuple[str, str, int]]:
        """(backend, cache, run) the next round still needs, after advancing through ``records``."""
        self.advance(records)
        if self.over:
            return []
        measured = _measured(records, self.model, self.n)
        return [(name, cache, self.round + 1) for cache in self.caches for name in self.in_race[cache]
                if (cache, name, self.round + 1) not in measured]

    def advance(self, records: list[dict]) -> None:
        mine = [r for r in records if r.get("model") == self.model and int(r.get("n", -1)) == self.n
                and record_kind(r) == "run" and not r.get("priming")]
        measured = _measured(mine, self.model, self.n)
        while not self.over:
            nxt = self.round + 1
            if any((cache, name, nxt) not in measured for cache in self.caches for name in self.in_race[cache]):
                return
            self._decide(nxt, [r for r in mine if int(r["run"]) <= nxt])

    def _decide(self, round_: int, records: list[dict]) -> None:
        from samplerbench.analysis.statistics import summarize

        self.round = round_
        summary = summarize(records, self.backends, self.ess_targets, look_alpha(self.max_runs))
        needed: dict[str, dict[str, str]] = {cache: {} for cache in self.caches}  # cache -> name -> sentence
        reasons: dict[tuple[str, str], str] = {}  # (backend, cache) -> why it left a sentence of that mode
        for sentence in sentences_of(summary, self.model, self.n, self.caches):
            if sentence.key in self.decided:
                continue
            standing = judge(sentence, round_, self.max_runs, self.gone.setdefault(sentence.key, set()))
            self.gone[sentence.key] |= set(standing.left)
            for name, why in standing.left.items():
                for cache in sentence.caches:
                    reasons.setdefault((name, cache), why)
            if standing.decided:
                self.decided[sentence.key] = (round_, standing.decided, standing.contenders, sentence.caches)
                continue
            for cache in sentence.caches:
                for name in standing.contenders:
                    needed[cache].setdefault(name, sentence.key)
        if round_ >= MIN_RUNS:
            for cache in self.caches:
                for name in self.in_race[cache]:
                    if name not in needed[cache]:
                        self.left[(name, cache)] = (round_, self._why_left(summary, name, cache, reasons))
                self.in_race[cache] = [name for name in self.in_race[cache] if name in needed[cache]]
        if not any(self.in_race.values()):
            self.over = f"every sentence of the verdict decided after round {round_}"
        elif round_ >= self.max_runs:
            self.over = f"--max-runs {self.max_runs} reached"

    def _why_left(self, summary, name: str, cache: str, reasons: dict[tuple[str, str], str]) -> str:
        if (name, cache) in reasons:
            return reasons[(name, cache)]
        row = summary.table[(summary.table["sampler"] == name) & (summary.table["cache"] == cache)]
        if row.empty or not int(row["ok"].iloc[0]):
            return "no ok run"
        from samplerbench.analysis.verdict import _barred_because

        barred = _barred_because(row.iloc[0])
        if barred:
            kind = row.iloc[0].get("kind")
            return f"it cannot win: it is {KIND_WORDS[kind]}" if kind in KIND_WORDS else f"it cannot win: {barred}"
        done = [key for key, (_, _, contenders, caches) in self.decided.items() if name in contenders and cache in caches]
        return ("the sentences it contended for are decided (" + "; ".join(done) + ")") if done else \
            "the sentences it contended for are decided"


def _measured(records: list[dict], model: str, n: int) -> set[tuple[str, str, int]]:
    """(cache, backend, run) of the cell's records (unmeasured ones count: a skipped backend owes nothing)."""
    out = set()
    for record in records:
        if record.get("priming") or record_kind(record) != "run":
            continue
        _, m, nn, cache, sampler, run = run_key(record)
        if m == model and nn == n:
            out.add((cache, sampler, run))
    return out
