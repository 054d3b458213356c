"""PyMC model sampled by a JAX NUTS through ``pm.sample(nuts_sampler=...)``.

Timing: PyTensor->JAX conversion (``get_jaxified_graph``) and every JAX trace / lower /
XLA compile event count as compile time; the sampling window is PyMC's call into the
sampler library, closed only after ``jax.block_until_ready``.
"""

from __future__ import annotations

from samplers._pymc_common import pytensor_compiles_are_compile_time, reported_sampling_time, sample_kwargs
from samplers.base import Backend, SamplerOutput, jsonable


class PyMCJaxBackend(Backend):
    language = "pymc"
    nuts_sampler: str  # "numpyro" or "blackjax"
    sampler_function: str  # the function in pymc.sampling.jax that runs the chains
    max_treedepth_kwarg: str  # the library's own name for the maximum tree depth

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
        with (
            pytensor_compiles_are_compile_time(clock),
            clock.compile_calls(pymc_jax, "get_jaxified_graph"),
            clock.sampling_calls(
                pymc_jax, self.sampler_function, block=lambda out: jax.block_until_ready(out[:2])
            ),
        ):
            idata = pm.sample(model=pm_model, **kwargs)
        return SamplerOutput(
            idata=idata,
            library_calls={"pymc.sample": jsonable(kwargs)},
            chain_method=f"parallel (pmap over {jax.local_device_count()} host devices)",
            notes=[f"JAX compile events seen: {clock.jax_compile_events}"],
            backend_sampling_s=reported_sampling_time(idata),
        )
