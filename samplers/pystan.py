"""PyStan 3 (httpstan): stanc + C++ build on first use, cached by program and build args."""

from __future__ import annotations

from samplers.base import Backend, SamplerOutput, counted_from_idata, described_calls, stan_data


COUNT_METHOD = "untimed counting run: the same model and seed with save_warmup=True"


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
        import stan.common

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
            # save_warmup stays PyStan's default (False): True made the same call 60 % slower
            # here. The warmup gradients come from an untimed counting run (count_warmup).
        )
        # PyStan polls httpstan every 50 ms until every chain is done, then fetches and parses
        # the chains' output: from the first fetch of a fit (not an operation) on, it builds
        # output, which stays out of sampling_s as for every backend. The polling interval
        # itself (up to 50 ms after the last chain finished) cannot be separated and stays in.
        with clock.sampling(), clock.wrapped(stan.common.HttpstanClient, "get", self._output_fetch_marker(clock)):
            fit = posterior.sample(**sample_kwargs)
        idata = arviz_base.from_pystan(posterior=fit, posterior_model=posterior)

        def count_warmup():
            """The same built model and seed again, warmup saved: its warmup n_leapfrog__."""
            counting = posterior.sample(**sample_kwargs, save_warmup=True)
            return counted_from_idata(idata, arviz_base.from_pystan(posterior=counting, posterior_model=posterior,
                                                                    save_warmup=True), COUNT_METHOD)

        return SamplerOutput(
            count_warmup=count_warmup,
            warmup_count_method=COUNT_METHOD,
            idata=idata,
            **described_calls({"stan.build": (stan.build, build_kwargs),
                               "Model.sample": (type(posterior).sample, sample_kwargs)}),
            chain_method="httpstan process pool (one process per core)",
            notes=["sampling_s ends when PyStan's 50 ms poll sees the last chain done; fetching and parsing the output is left out"],
        )

    @staticmethod
    def _output_fetch_marker(clock):
        def make_wrapper(original):
            async def get(self, path, *args, **kwargs):
                if not path.lstrip("/").startswith("operations/"):
                    clock.rest_of_window_is_output()
                return await original(self, path, *args, **kwargs)

            return get

        return make_wrapper
