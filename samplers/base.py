"""The one small interface every backend implements.

A backend module imports its sampling libraries only inside methods, so the registry can be
imported by the orchestrator without loading any sampler (PROTOCOL: the parent never imports
the measured code).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar

if TYPE_CHECKING:  # the clock's module imports no sampling library either; typing only
    from models import ModelSpec
    from samplerbench.measure.timing import RunClock


@dataclass(frozen=True)
class RunSettings:
    """Everything a backend needs to know about one run; all of it is recorded. The one source
    of the run settings and their defaults: the orchestrator's SweepConfig, the worker's
    config and the run record all derive from these fields."""

    seed: int
    chains: int = 4
    tune: int = 1000
    draws: int = 1000
    target_accept: float = 0.8
    max_treedepth: int = 10
    cores: int = field(default_factory=lambda: os.cpu_count() or 1)
    cache: str = "cold"
    cache_dir: str = ""
    work_dir: str = ""

    @property
    def parallel_chains(self) -> int:
        return max(1, min(self.chains, self.cores))


@dataclass
class WarmupCount:
    """The warmup's leapfrog steps summed over chains, and how they were counted (PROTOCOL, "The
    library as its users call it": the timed call keeps the library's defaults, so a count that
    needs a switch comes from an untimed counting run)."""

    grad_evals: int | None = None
    iterations: int | None = None  # warmup iterations per chain those steps came from
    method: str = ""
    # A counting run repeats the timed run with the same seed and the switch on; its kept draws'
    # step counts must equal the timed run's, or it counted another chain (None: nothing repeated).
    replay_identical: bool | None = None
    # Evaluations of the log density without its gradient (Pathfinder's ELBO estimates), apart.
    density_evals: int | None = None


def replay_steps_identical(timed, counted) -> bool:
    """Whether two arrays of per-draw leapfrog steps (chains × draws) are the same."""
    import numpy as np

    timed, counted = np.asarray(timed), np.asarray(counted)
    return timed.shape == counted.shape and bool(np.array_equal(timed, counted))


def same_kept_steps(timed_idata, counted_idata) -> bool:
    """Whether a counting run's kept draws took the timed run's leapfrog steps, draw for draw."""
    return replay_steps_identical(timed_idata["sample_stats"].to_dataset()["n_steps"].values,
                                  counted_idata["sample_stats"].to_dataset()["n_steps"].values)


def counted_from_idata(timed_idata, counted_idata, method: str) -> WarmupCount:
    """A counting run's warmup steps (its ``warmup_sample_stats``), checked against the timed run."""
    warmup = counted_idata["warmup_sample_stats"].to_dataset()["n_steps"]
    return WarmupCount(grad_evals=int(warmup.sum()), iterations=int(warmup.sizes["draw"]), method=method,
                       replay_identical=same_kept_steps(timed_idata, counted_idata))


@dataclass
class SamplerOutput:
    idata: Any
    # Exact keyword arguments handed to each library call that built and sampled the model,
    # keyed by the call's name, so every number says how it was produced.
    library_calls: dict[str, dict] = field(default_factory=dict)
    # The library's own defaults of every keyword those calls did not pass (as bayeux records
    # them), keyed like library_calls: a default that changes between releases shows in
    # report.py --compare.
    library_defaults: dict[str, dict] = field(default_factory=dict)
    # The keywords passed with another value than the library's default, beside that default.
    library_overrides: dict[str, dict] = field(default_factory=dict)
    chain_method: str = ""
    notes: list[str] = field(default_factory=list)
    # The library's own idea of sampling time, where it reports one (for cross-checking).
    backend_sampling_s: float | None = None
    # Leapfrog steps of the warmup iterations summed over chains, counted by the library, for
    # backends whose InferenceData has no warmup sample stats (the JAX rows); else None.
    warmup_grad_evals: int | None = None
    warmup_iterations: int | None = None  # warmup iterations per chain those steps came from
    # How the warmup gradients are counted (the report and README say it per backend).
    warmup_count_method: str = ""
    # Where counting them needs a switch that would change the timed work (PyStan's and CmdStan's
    # save_warmup, NumPyro's warmup collection): an untimed counting run, called by the worker
    # after end-to-end closed, outside every timing.
    count_warmup: Callable[[], WarmupCount] | None = None
    # The warmup share of the library's own per-phase timings, where it reports them (CmdStan);
    # otherwise sampling_s is split in proportion to the gradients of each phase.
    warmup_fraction_reported: float | None = None
    # The kept draws' gradients where the draws have no per-draw ``n_steps``: an approximate
    # method's draws from its fitted approximation cost none (0); its fit is in warmup_grad_evals.
    draws_grad_evals: int | None = None


class Backend:
    name: ClassVar[str]
    language: ClassVar[str]  # which model version it runs: "stan", "pymc" or "numpyro"
    packages: ClassVar[tuple[str, ...]]  # import names that must be present
    # Further modules the run would otherwise import lazily inside the timed end-to-end
    # (``pymc.sampling.jax``, PyTensor's numba backend): imported in the import phase.
    import_modules: ClassVar[tuple[str, ...]] = ()
    distributions: ClassVar[tuple[str, ...]]  # PyPI names whose versions are recorded
    install_hint: ClassVar[str]
    description: ClassVar[str]
    # fields.METHOD_KINDS: "mcmc" (exact in the limit), "mcmc-biased" (unadjusted: biased by its
    # step size), "approximate" (a fit, then independent draws from it). Shown in --list and tables.
    kind: ClassVar[str] = "mcmc"
    # The run settings (RunSettings' fields) the backend hands to its library; the others do not
    # apply to its algorithm (MCLMC has no tree depth, ADVI no warmup) and the report says so.
    settings_used: ClassVar[tuple[str, ...]] = ("chains", "tune", "draws", "target_accept", "max_treedepth")
    # Whether a sweep without --samplers runs it (samplers.default_names).
    in_default_sweep: ClassVar[bool] = True

    def unavailable_reason(self) -> str | None:
        """None when the backend can run here, else why not and how to fix it."""
        missing = [p for p in self.packages if importlib.util.find_spec(p) is None]
        if missing:
            return f"missing Python package(s) {', '.join(missing)}; install with: {self.install_hint}"
        return self.installation_problem()

    def installation_problem(self) -> str | None:
        """What else the backend needs beyond its packages (a CmdStan folder, a library version),
        checked without importing the library (its import belongs to ``import_s``); None if nothing."""
        return None

    def import_libraries(self) -> None:
        """Everything the run needs, so that ``import_s`` holds all importing (PROTOCOL)."""
        for module in (*self.packages, *self.import_modules):
            importlib.import_module(module)
        importlib.import_module("arviz_base")  # every backend hands back ArviZ data

    def run(self, model: ModelSpec, data: dict, settings: RunSettings, clock: RunClock) -> SamplerOutput:
        """Build, compile and sample ``model`` on ``data``; return the draws as ArviZ data.

        The clock's contract (samplerbench/measure/timing.py), what makes the numbers mean what
        PROTOCOL says:

        - compile: wrap the library's compile step in ``clock.compiling()``, or count every
          call of a library function with ``clock.compile_calls(owner, "attr")``; JAX rows call
          ``clock.listen_to_jax()`` so JAX's own compile events count.
        - sampling: the library's own sampling call, in ``clock.sampling()`` or
          ``clock.sampling_calls(owner, "attr", block=...)``. Block on device work before the
          window closes (``clock.blocked(result, jax.block_until_ready)``); call
          ``clock.device_dispatched()`` where you can see the moment work was dispatched, so a
          compile after it (overlapping the running chains) is not subtracted.
        - output: building ArviZ data or parsing the library's output is not sampling:
          ``clock.excluded_calls(owner, "attr")``, or ``clock.rest_of_window_is_output()`` from
          the moment only output is being built.
        - gradients: hand back warmup sample stats (``n_steps``) where the library has them,
          else ``warmup_grad_evals`` counted from the library's own step counts.
        - imports: list modules the run would import lazily in ``import_modules``.
        """
        raise NotImplementedError


def stan_data(data: dict) -> dict:
    """The model's data dict as Stan data (plain lists and numbers)."""
    return {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in data.items()}


MAX_LISTED = 16


def _keyword_defaults(function) -> dict:
    """Every keyword of ``function``'s own signature that has a default, with it."""
    import inspect

    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: nothing to record
        return {}
    keyword_kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name: p.default for p in parameters
            if p.kind in keyword_kinds and p.default is not inspect.Parameter.empty and p.name != "self"}


def defaults_of(function, passed: dict) -> dict:
    """The defaults, from ``function``'s own signature, of the keywords not in ``passed``."""
    return jsonable({k: v for k, v in _keyword_defaults(function).items() if k not in passed})


def overrides_of(function, passed: dict) -> dict:
    """The keywords passed with a value other than the library's own default, or whose default
    its signature does not show (PyStan's ``sample(**kwargs)``): {name: {"passed", "default"}}.
    Each must be a declared setting of the comparison (PROTOCOL, "The library as its users call
    it"); tests/test_as_users_call_it.py checks that on real runs."""
    defaults = _keyword_defaults(function) if function is not None else {}
    unknown = "not in the signature"
    return {name: {"passed": jsonable({"v": value})["v"],
                   "default": jsonable({"v": defaults[name]})["v"] if name in defaults else unknown}
            for name, value in passed.items() if name not in defaults or not _same(value, defaults[name])}


def _same(a, b) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # noqa: BLE001 - arrays and other objects without a plain ==
        return False


def described_calls(calls: dict[str, tuple[Any, dict]]) -> dict[str, dict]:
    """``library_calls``, ``library_defaults`` and ``library_overrides`` for SamplerOutput, from
    {call name: (the library function, the keywords passed to it)}: one name per call, every
    view from it."""
    return {
        "library_calls": {name: jsonable(kwargs) for name, (_, kwargs) in calls.items()},
        "library_defaults": {name: defaults_of(function, kwargs) for name, (function, kwargs) in calls.items()},
        "library_overrides": {name: overrides_of(function, kwargs) for name, (function, kwargs) in calls.items()},
    }


def jsonable(kwargs: dict) -> dict:
    """Keyword arguments as JSON-friendly values (arrays and objects become short reprs)."""
    out = {}
    for key, value in kwargs.items():
        if isinstance(value, (bool, int, float, str)) or value is None:
            out[key] = value
        elif isinstance(value, dict):
            out[key] = jsonable(value)
        elif isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, str)) for v in value):
            # Short lists as they are; data vectors by length only (every run record would
            # otherwise carry the data set: 4 MB per record at n = 100 000).
            out[key] = list(value) if len(value) <= MAX_LISTED else f"<list len={len(value)}>"
        elif isinstance(value, Path):
            out[key] = str(value)
        else:
            shape = getattr(value, "shape", None)
            out[key] = f"<{type(value).__name__}{' shape=' + str(tuple(shape)) if shape is not None else ''}>"
    return out
