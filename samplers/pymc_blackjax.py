"""PyMC model, BlackJAX's NUTS (``pm.sample(nuts_sampler="blackjax")``).

BlackJAX 1.6 and 1.7 reject the ``progress_bar`` keyword that PyMC 6 passes to
``window_adaptation``; pyproject.toml therefore pins ``blackjax<1.6`` (1.5 is tested).
"""

from samplers._pymc_jax import PyMCJaxBackend


class PyMCBlackJAXBackend(PyMCJaxBackend):
    name = "pymc-blackjax"
    packages = ("pymc", "blackjax", "jax")
    distributions = ("pymc", "pytensor", "blackjax", "jax", "jaxlib")
    install_hint = "pip install pymc 'blackjax<1.6'"
    description = "PyMC model, BlackJAX NUTS + window adaptation via pm.sample"
    nuts_sampler = "blackjax"
    sampler_function = "_sample_blackjax_nuts"
    max_treedepth_kwarg = "max_num_doublings"

    def unavailable_reason(self):
        reason = super().unavailable_reason()
        if reason:
            return reason
        from importlib.metadata import version

        installed = version("blackjax")
        if tuple(int(p) for p in installed.split(".")[:2]) >= (1, 6):
            return (
                f"blackjax {installed} breaks pm.sample(nuts_sampler='blackjax') "
                "(unexpected keyword 'progress_bar'); install with: pip install 'blackjax<1.6'"
            )
        return None
