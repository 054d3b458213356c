"""PyMC model, NumPyro's NUTS (``pm.sample(nuts_sampler="numpyro")``).

The sampling window is NumPyro's ``MCMC.run`` (see samplers/_numpyro_run.py), exactly as for
the native ``numpyro`` row: PyMC's copying of draws and stats afterwards is not sampling.
"""

from samplers._numpyro_run import COUNT_METHOD, WarmupReplay, mcmc_run_is_the_sampling_window
from samplers._pymc_jax import PyMCJaxBackend


class PyMCNumPyroBackend(PyMCJaxBackend):
    name = "pymc-numpyro"
    packages = ("pymc", "numpyro", "jax")
    distributions = ("pymc", "pytensor", "numpyro", "jax", "jaxlib")
    install_hint = "pip install pymc numpyro"
    description = "PyMC model, NumPyro NUTS via pm.sample"
    nuts_sampler = "numpyro"
    max_treedepth_kwarg = "max_tree_depth"
    import_modules = (*PyMCJaxBackend.import_modules, "numpyro.infer")

    def sampling_window(self, clock, warmup):
        warmup.method = COUNT_METHOD
        self._replay = WarmupReplay()
        return mcmc_run_is_the_sampling_window(clock, self._replay)

    def count_warmup(self):
        return self._replay.count
