"""Native NumPyro NUTS on the NumPyro model, chains in parallel on host devices."""

from __future__ import annotations

from samplers._numpyro_run import COUNT_METHOD, WarmupReplay, mcmc_run_is_the_sampling_window
from samplers.base import Backend, SamplerOutput, described_calls


class NumPyroBackend(Backend):
    name = "numpyro"
    language = "numpyro"
    packages = ("numpyro", "jax")
    distributions = ("numpyro", "jax", "jaxlib")
    install_hint = "pip install numpyro"
    description = "native NumPyro NUTS, chain_method='parallel'"

    def run(self, model, data, settings, clock):
        import arviz_base
        import jax
        from numpyro.infer import MCMC, NUTS

        clock.listen_to_jax()
        chain_method = "parallel" if jax.local_device_count() >= settings.chains else "sequential"
        nuts_kwargs = dict(
            target_accept_prob=settings.target_accept, max_tree_depth=settings.max_treedepth
        )
        mcmc_kwargs = dict(
            num_warmup=settings.tune,
            num_samples=settings.draws,
            num_chains=settings.chains,
            chain_method=chain_method,
            progress_bar=False,
        )
        run_kwargs = dict(extra_fields=("num_steps", "diverging", "energy", "accept_prob"))
        mcmc = MCMC(NUTS(model.numpyro_model(), **nuts_kwargs), **mcmc_kwargs)
        # MCMC.run traces and compiles, then samples, and returns before the device is done:
        # the window is MCMC.run until block_until_ready, minus JAX's compile events before
        # the chains were dispatched (the same window as pymc-numpyro's, see _numpyro_run).
        replay = WarmupReplay()
        with mcmc_run_is_the_sampling_window(clock, replay):
            mcmc.run(jax.random.PRNGKey(settings.seed), data, **run_kwargs)
        idata = arviz_base.from_numpyro(mcmc, log_likelihood=False)
        notes = [f"JAX compile events seen: {clock.jax_compile_events}"]
        if chain_method != "parallel":
            notes.append(f"only {jax.local_device_count()} host device(s): chains ran sequentially")
        return SamplerOutput(
            idata=idata,
            **described_calls({
                "numpyro.infer.NUTS": (NUTS, nuts_kwargs),
                "numpyro.infer.MCMC": (MCMC, mcmc_kwargs),
                "MCMC.run": (MCMC.run, run_kwargs),
            }),
            chain_method=chain_method,
            notes=notes,
            count_warmup=replay.count,
            warmup_count_method=COUNT_METHOD,
        )
