"""PyMC model sampled by a JAX NUTS through ``pm.sample(nuts_sampler=...)``.

Timing: PyTensor->JAX conversion (``get_jaxified_graph``) and every JAX trace / lower /
XLA compile event before the chains are dispatched count as compile time. The sampling
window is the sampler library's own run call, closed only after ``jax.block_until_ready``
(each subclass says which call); what PyMC does after it is the rest of end-to-end.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from samplers.base import WarmupCount
from samplers._pymc_common import (
    PYMC_IMPORTS,
    pytensor_compiles_are_compile_time,
    reported_sampling_time,
    sample_kwargs,
)
from samplers.base import Backend, SamplerOutput, described_calls


class PyMCJaxBackend(Backend):
    language = "pymc"
    nuts_sampler: str  # "numpyro" or "blackjax"
    max_treedepth_kwarg: str  # the library's own name for the maximum tree depth
    import_modules = (*PYMC_IMPORTS, "pymc.sampling.jax", "jax")

    def sampling_window(self, clock, warmup: WarmupCount) -> AbstractContextManager:
        """Make the library's own run call the sampling window and fill ``warmup`` (or leave it
        to ``count_warmup``)."""
        raise NotImplementedError

    def count_warmup(self):
        """An untimed counting run for the worker to call after end-to-end, or None."""
        return None

    def run(self, model, data, settings, clock):
        import jax
        import pymc as pm
        import pymc.sampling.jax as pymc_jax

        clock.listen_to_jax()
        pm_model = model.pymc_builder()(data)
        kwargs = sample_kwargs(
            settings,
            nuts_sampler=self.nuts_sampler,
            nuts={self.max_treedepth_kwarg: settings.max_treedepth, "chain_method": "parallel"},
        )
        warmup = WarmupCount()
        with (
            pytensor_compiles_are_compile_time(clock),
            clock.compile_calls(pymc_jax, "get_jaxified_graph"),
            self.sampling_window(clock, warmup),
        ):
            idata = pm.sample(model=pm_model, **kwargs)
        return SamplerOutput(
            idata=idata,
            **described_calls({"pymc.sample": (pm.sample, kwargs)}),
            chain_method=f"parallel (pmap over {jax.local_device_count()} host devices)",
            notes=[f"JAX compile events seen: {clock.jax_compile_events}"],
            backend_sampling_s=reported_sampling_time(idata),
            warmup_grad_evals=warmup.grad_evals,
            warmup_iterations=warmup.iterations,
            warmup_count_method=warmup.method,
            count_warmup=self.count_warmup(),
        )
