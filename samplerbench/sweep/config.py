"""A sweep's configuration, and the one source of every default a sweep has (the command line,
its help and ``--resume`` read theirs from here; the run settings' are RunSettings' own)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

from samplerbench.analysis.race import AUTO, DEFAULT_MAX_RUNS
from samplerbench.time_to_ess import DEFAULT_ESS_TARGETS
from samplers.base import RunSettings  # a plain dataclass: no sampling library is imported

CACHE_MODES = ("cold", "warm")
BOTH = "both"  # a sweep that measures both modes, interleaved, so one report holds both


_RUN_FIELDS = {f.name: f for f in fields(RunSettings)}
# The run settings a sweep fixes for all its runs (the rest, seed and folders, differ per run).
SWEEP_SETTINGS = tuple(name for name in _RUN_FIELDS if name not in ("seed", "cache_dir", "work_dir"))


def _every_backend() -> list[str]:
    """The default backends (samplers.default_names: every one but the ADVI rows)."""
    import samplers  # the registry and backend classes: no sampling library is imported

    return samplers.default_names()


@dataclass
class SweepConfig:
    """A sweep: what to run, and the run settings. The one source of every default of a sweep:
    the run settings' are RunSettings' own, and the command line's flags, their help and
    ``--resume`` read theirs from here (``sweep_default``)."""

    models: list[str] = field(default_factory=lambda: ["linear_regression"])
    samplers: list[str] = field(default_factory=lambda: _every_backend())
    ns: list[int] = field(default_factory=lambda: [2000])
    # "auto": adaptive runs (samplerbench.analysis.race), at most max_runs per backend and cache
    # mode, within budget_min minutes when given; a number: exactly that many runs each.
    runs: int | str = AUTO
    max_runs: int = DEFAULT_MAX_RUNS
    budget_min: float | None = None
    cache: str = BOTH  # a sweep's default: cold and warm runs interleaved (a run's own mode is one of them)
    chains: int = _RUN_FIELDS["chains"].default
    tune: int = _RUN_FIELDS["tune"].default
    draws: int = _RUN_FIELDS["draws"].default
    target_accept: float = _RUN_FIELDS["target_accept"].default
    max_treedepth: int = _RUN_FIELDS["max_treedepth"].default
    timeout_s: float = 600.0
    cores: int = field(default_factory=_RUN_FIELDS["cores"].default_factory)
    gradient_floor: bool = True
    ess_targets: list[int] = field(default_factory=lambda: list(DEFAULT_ESS_TARGETS))
    # The interpreter the workers run (`--python`: another environment, other library
    # versions); None is the orchestrator's own. The orchestrator never imports what it measures.
    python: str | None = None

    @property
    def worker_python(self) -> str:
        return self.python or sys.executable

    @property
    def adaptive(self) -> bool:
        return self.runs == AUTO

    @property
    def most_runs(self) -> int:
        """The most runs any backend gets: --runs N, or --max-runs of an adaptive sweep."""
        return self.max_runs if self.adaptive else int(self.runs)

    @property
    def cache_modes(self) -> tuple[str, ...]:
        """The cache modes measured: one, or both for `--cache both`."""
        return CACHE_MODES if self.cache == BOTH else (self.cache,)

    def run_settings(self, seed: int, cache_dir: Path, work_dir: Path, cache: str | None = None) -> RunSettings:
        values = {name: getattr(self, name) for name in SWEEP_SETTINGS}
        values["cache"] = cache or self.cache
        return RunSettings(seed=seed, cache_dir=str(cache_dir), work_dir=str(work_dir), **values)


def sweep_default(name: str):
    """The default of one SweepConfig field (a fresh copy of a list)."""
    f = SweepConfig.__dataclass_fields__[name]
    return f.default_factory() if callable(f.default_factory) else f.default
