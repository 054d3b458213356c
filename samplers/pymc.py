"""PyMC's own NUTS (``nuts_sampler="pymc"``; PyMC 6 would otherwise pick nutpie)."""

from __future__ import annotations

from samplers._pymc_common import (
    PYMC_IMPORTS,
    pytensor_compiles_are_compile_time,
    reported_sampling_time,
    sample_kwargs,
)
from samplers.base import Backend, SamplerOutput, WarmupCount, described_calls

COUNT_METHOD = "PyMC's own traces: the tuning iterations' n_steps, read after its chain loop, before it discards them"


def tuning_steps_from_traces(clock, pymc_mcmc, warmup: WarmupCount):
    """PyMC's chain loop records every iteration, tuning included, into its traces; with
    ``discard_tuned_samples=True`` (its default) ``_sample_return`` then slices the tuning off.
    Reading the traces' ``tree_size`` (``n_steps`` in InferenceData) as they reach it changes
    nothing PyMC does. It runs after the sampling window (``_mp_sample``) closed."""
    import numpy as np

    def make_wrapper(original):
        def sample_return(*args, **kwargs):
            tune = kwargs["tune"]
            steps = [np.asarray(trace.get_sampler_stats("tree_size"))[:tune] for trace in kwargs["traces"]]
            warmup.grad_evals = int(sum(s.sum() for s in steps))
            warmup.iterations = min((len(s) for s in steps), default=0)
            return original(*args, **kwargs)

        return sample_return

    return clock.wrapped(pymc_mcmc, "_sample_return", make_wrapper)


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

        warmup = WarmupCount(method=COUNT_METHOD)
        pm_model = model.pymc_builder()(data)
        kwargs = sample_kwargs(
            settings,
            nuts_sampler="pymc",
            cores=settings.parallel_chains,
            # PyMC caps the depth at early_max_treedepth (default 8) for its first 200 tuning
            # steps; every other backend uses the run's max tree depth throughout.
            nuts={"max_treedepth": settings.max_treedepth, "early_max_treedepth": settings.max_treedepth},
            # discard_tuned_samples stays PyMC's default (True): the tuning iterations' n_steps
            # are read from PyMC's own traces before it drops them (tuning_steps_from_traces).
        )
        # The sampling window is PyMC's own chain loop (_mp_sample, or _sample_many when
        # chains run in one process): the same span as PyMC's ``sampling_time``, after
        # initialisation and before the trace is turned into InferenceData.
        with (
            pytensor_compiles_are_compile_time(clock),
            clock.sampling_calls(pymc_mcmc, "_mp_sample"),
            clock.sampling_calls(pymc_mcmc, "_sample_many"),
            tuning_steps_from_traces(clock, pymc_mcmc, warmup),
        ):
            idata = pm.sample(model=pm_model, **kwargs)
        return SamplerOutput(
            idata=idata,
            **described_calls({"pymc.sample": (pm.sample, kwargs)}),
            chain_method=f"{settings.parallel_chains} worker processes",
            notes=["sampling window = PyMC's chain loop, which includes starting its worker processes"],
            backend_sampling_s=reported_sampling_time(idata),
            warmup_grad_evals=warmup.grad_evals,
            warmup_iterations=warmup.iterations,
            warmup_count_method=COUNT_METHOD,
        )
