"""PyMC's own NUTS (``nuts_sampler="pymc"``; PyMC 6 would otherwise pick nutpie)."""

from __future__ import annotations

from samplers._pymc_common import (
    PYMC_IMPORTS,
    pytensor_compiles_are_compile_time,
    reported_sampling_time,
    sample_kwargs,
)
from samplers.base import Backend, SamplerOutput, described_calls


class PyMCBackend(Backend):
    name = "pymc"
    language = "pymc"
    packages = ("pymc",)
    distributions = ("pymc", "pytensor")
    install_hint = "pip install pymc"
    description = "PyMC's own NUTS, chains in worker processes"
    import_modules = (*PYMC_IMPORTS, "pymc.sampling.mcmc")

    def run(self, model, data, settings, clock):
        import pymc as pm
        import pymc.sampling.mcmc as pymc_mcmc

        pm_model = model.pymc_builder()(data)
        kwargs = sample_kwargs(
            settings,
            nuts_sampler="pymc",
            cores=settings.parallel_chains,
            # PyMC caps the depth at early_max_treedepth (default 8) for its first 200 tuning
            # steps; every other backend uses the run's max tree depth throughout.
            nuts={"max_treedepth": settings.max_treedepth, "early_max_treedepth": settings.max_treedepth},
            # Keep the tuning iterations' sample stats: their n_steps are the warmup gradients.
            discard_tuned_samples=False,
        )
        # The sampling window is PyMC's own chain loop (_mp_sample, or _sample_many when
        # chains run in one process): the same span as PyMC's ``sampling_time``, after
        # initialisation and before the trace is turned into InferenceData.
        with (
            pytensor_compiles_are_compile_time(clock),
            clock.sampling_calls(pymc_mcmc, "_mp_sample"),
            clock.sampling_calls(pymc_mcmc, "_sample_many"),
        ):
            idata = pm.sample(model=pm_model, **kwargs)
        return SamplerOutput(
            idata=idata,
            **described_calls({"pymc.sample": (pm.sample, kwargs)}),
            chain_method=f"{settings.parallel_chains} worker processes",
            notes=["sampling window = PyMC's chain loop, which includes starting its worker processes"],
            backend_sampling_s=reported_sampling_time(idata),
        )
