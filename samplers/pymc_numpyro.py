"""PyMC model, NumPyro's NUTS (``pm.sample(nuts_sampler="numpyro")``)."""

from samplers._pymc_jax import PyMCJaxBackend


class PyMCNumPyroBackend(PyMCJaxBackend):
    name = "pymc-numpyro"
    packages = ("pymc", "numpyro", "jax")
    distributions = ("pymc", "pytensor", "numpyro", "jax", "jaxlib")
    install_hint = "pip install pymc numpyro"
    description = "PyMC model, NumPyro NUTS via pm.sample"
    nuts_sampler = "numpyro"
    sampler_function = "_sample_numpyro_nuts"
    max_treedepth_kwarg = "max_tree_depth"
