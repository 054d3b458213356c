"""nutpie on the PyMC model: numba-compiled log density, Rust NUTS."""

from __future__ import annotations

from samplers._pymc_common import PYMC_IMPORTS
from samplers.base import Backend, SamplerOutput, described_calls


def sample(compiled, compile_call: tuple[str, object, dict], settings, clock, notes=(), variant=None) -> SamplerOutput:
    """nutpie's own sampling call on a compiled model (PyMC's or Stan's), timed the same way
    for both: building its InferenceData is output, not sampling. ``variant``: the keywords
    that define a row beyond nutpie's default sampler (``adaptation="low_rank"``)."""
    import sys

    import nutpie

    nutpie_sample = sys.modules["nutpie.sample"]  # the module (nutpie.sample is the function)
    sample_kwargs = dict(
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        cores=settings.parallel_chains,
        seed=settings.seed,
        target_accept=settings.target_accept,
        maxdepth=settings.max_treedepth,
        progress_bar=False,
        # save_warmup is left at nutpie's default (True): its warmup stats give the warmup
        # gradients without a switch.
        **(variant or {}),
    )
    # Building nutpie's InferenceData (_extract) is output building, not sampling: the
    # same rule as for every other backend.
    with clock.sampling(), clock.excluded_calls(nutpie_sample._BackgroundSampler, "_extract"):
        idata = nutpie.sample(compiled, **sample_kwargs)
    name, function, kwargs = compile_call
    return SamplerOutput(
        idata=idata,
        **described_calls({name: (function, kwargs), "nutpie.sample": (nutpie.sample, sample_kwargs)}),
        chain_method=f"{settings.parallel_chains} threads",
        warmup_count_method="the library's warmup sample stats (nutpie saves the warmup by default)",
        notes=[*notes, "nutpie building its InferenceData (_BackgroundSampler._extract) is left out of sampling_s"],
    )


class NutpieBackend(Backend):
    name = "nutpie"
    language = "pymc"
    packages = ("nutpie", "pymc", "numba")
    distributions = ("nutpie", "pymc", "pytensor", "numba")
    install_hint = "pip install nutpie"
    description = "nutpie (numba backend) on the PyMC model"
    import_modules = (*PYMC_IMPORTS, "nutpie.sample", "nutpie.compile_pymc")
    variant: dict = {}  # nutpie.sample's keywords that define the row (none: its defaults)

    def run(self, model, data, settings, clock):
        import nutpie

        pm_model = model.pymc_builder()(data)
        compile_kwargs = dict(backend="numba")
        with clock.compiling():
            compiled = nutpie.compile_pymc_model(pm_model, **compile_kwargs)
        return sample(compiled, ("nutpie.compile_pymc_model", nutpie.compile_pymc_model, compile_kwargs), settings, clock,
                      variant=self.variant)


class NutpieLowRankBackend(NutpieBackend):
    """nutpie's low-rank modified mass matrix adaptation (``adaptation="low_rank"``): a diagonal
    plus low-rank metric learned from draws and gradients, for correlated posteriors. Not in
    the default sweep (a second numba compile per run); by name or ``--samplers all``."""

    name = "nutpie-low-rank"
    description = "nutpie (numba backend) on the PyMC model, adaptation='low_rank'"
    variant = {"adaptation": "low_rank"}
    in_default_sweep = False
