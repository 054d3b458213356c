"""PyMC's automatic differentiation variational inference, ``pm.fit``, mean-field and full-rank:
an approximation (kind ``approximate``), judged by the error of its draws against the reference
(samplerbench.analysis.error_trace: one point per fit), never named an MCMC winner. Mean-field
ADVI underestimates posterior variance where parameters are correlated: its error stays above
the 0.01 line there, which is what the row shows.

- Everything of ``pm.fit`` is PyMC's default (10 000 iterations of Adagrad with a window, one
  Monte Carlo draw per iteration for the ELBO's gradient, ``obj_n_mc=None``) but the method and
  the seed; then ``approx.sample`` draws chains × draws independent draws (arranged as chains ×
  draws, so the tables' ESS and R-hat read them like any run's).
- Sampling window: ``pm.fit`` and ``approx.sample``; PyTensor's compiles inside them are compile
  time (as in the ``pymc`` row).
- Gradients: one gradient of the log density per iteration (PyMC's single-sample ELBO), the
  iterations counted by the library itself (``len(approx.hist)``, one loss per iteration);
  all of it is the "warmup" (the fit), the draws cost none.
"""

from __future__ import annotations

from samplers._pymc_common import PYMC_IMPORTS, pytensor_compiles_are_compile_time
from samplers.base import Backend, SamplerOutput, described_calls


class ADVIBackend(Backend):
    name = "advi"
    language = "pymc"
    kind = "approximate"
    settings_used = ("chains", "draws")  # chains × draws independent draws; the fit's length is PyMC's
    packages = ("pymc",)
    distributions = ("pymc", "pytensor")
    install_hint = "pip install pymc"
    description = "PyMC mean-field ADVI (pm.fit(method='advi'), its defaults), then independent draws"
    import_modules = (*PYMC_IMPORTS, "pymc.variational")
    method = "advi"
    in_default_sweep = False  # ~20 s of PyTensor compile per run here: --samplers all, or by name

    def run(self, model, data, settings, clock):
        import arviz_base
        import numpy as np
        import pymc as pm

        pm_model = model.pymc_builder()(data)
        fit_kwargs = dict(method=self.method, random_seed=settings.seed, progressbar=False)
        draws = settings.chains * settings.draws
        sample_kwargs = dict(draws=draws, random_seed=settings.seed, return_inferencedata=True)
        with pytensor_compiles_are_compile_time(clock), clock.sampling():
            approx = pm.fit(model=pm_model, **fit_kwargs)
            flat = approx.sample(**sample_kwargs)
        iterations = len(approx.hist)
        posterior = flat["posterior"].to_dataset()
        arranged = {name: np.asarray(posterior[name].values).reshape(settings.chains, settings.draws,
                                                                       *posterior[name].shape[2:])
                    for name in posterior.data_vars}
        idata = arviz_base.from_dict({"posterior": arranged})
        final_loss = float(np.asarray(approx.hist)[-1]) if iterations else float("nan")
        return SamplerOutput(
            idata=idata,
            **described_calls({"pymc.fit": (pm.fit, fit_kwargs), "Approximation.sample": (type(approx).sample,
                                                                                          sample_kwargs)}),
            chain_method="one process: a fit, then independent draws",
            notes=[f"{iterations} iterations; final loss (negative ELBO) {final_loss:.4g}"],
            warmup_grad_evals=iterations,
            warmup_iterations=iterations,
            draws_grad_evals=0,
            warmup_count_method="one gradient per iteration (PyMC's single-sample ELBO), iterations = len(approx.hist)",
        )


class FullRankADVIBackend(ADVIBackend):
    name = "fullrank-advi"
    description = "PyMC full-rank ADVI (pm.fit(method='fullrank_advi'), its defaults), then independent draws"
    method = "fullrank_advi"
