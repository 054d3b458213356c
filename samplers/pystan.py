"""PyStan 3 (httpstan): stanc + C++ build on first use, cached by program and build args."""

from __future__ import annotations

from samplers.base import Backend, SamplerOutput, jsonable, stan_data


class PyStanBackend(Backend):
    name = "pystan"
    language = "stan"
    packages = ("stan", "httpstan")
    distributions = ("pystan", "httpstan")
    install_hint = "pip install pystan"
    description = "PyStan 3 / httpstan, chains in parallel processes"

    def run(self, model, data, settings, clock):
        import arviz_base
        import stan

        build_kwargs = dict(data=stan_data(data), random_seed=settings.seed)
        # stan.build compiles (or loads from httpstan's cache, see --cache) the model; the
        # seed differs per run, so a warm cache never hands back a previous run's fit.
        with clock.compiling():
            posterior = stan.build(model.stan_code(), **build_kwargs)
        sample_kwargs = dict(
            num_chains=settings.chains,
            num_warmup=settings.tune,
            num_samples=settings.draws,
            delta=settings.target_accept,
            max_depth=settings.max_treedepth,
        )
        with clock.sampling():
            fit = posterior.sample(**sample_kwargs)
        idata = arviz_base.from_pystan(posterior=fit, posterior_model=posterior)
        return SamplerOutput(
            idata=idata,
            library_calls={"stan.build": jsonable(build_kwargs), "Model.sample": jsonable(sample_kwargs)},
            chain_method="httpstan process pool (one process per core)",
        )
