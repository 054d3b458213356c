"""PyMC model, BlackJAX's NUTS (``pm.sample(nuts_sampler="blackjax")``).

BlackJAX 1.6 and 1.7 reject the ``progress_bar`` keyword that PyMC 6 passes to
``window_adaptation``; pyproject.toml therefore pins ``blackjax<1.6`` (1.5 is tested).

Sampling window: PyMC's ``_sample_blackjax_nuts``, which does nothing after the ``pmap`` over
chains but return, closed after ``jax.block_until_ready``.

Warmup gradients: PyMC drops BlackJAX's adaptation info. While PyMC's inference loop is
traced, ``blackjax.window_adaptation`` is handed an info filter that keeps only
``num_integration_steps`` (one integer per warmup step and chain), and their sum per chain
leaves the ``pmap`` with the sample stats; it is taken out again before PyMC sees the stats.
"""

from contextlib import ExitStack, contextmanager

from samplers._pymc_jax import PyMCJaxBackend

WARMUP_STEPS_KEY = "samplerbench_warmup_n_steps"
COUNT_METHOD = ("BlackJAX's adaptation info, filtered to num_integration_steps (PyMC's own filter keeps "
                "nothing: one integer per warmup step and chain more)")


class PyMCBlackJAXBackend(PyMCJaxBackend):
    name = "pymc-blackjax"
    packages = ("pymc", "blackjax", "jax")
    distributions = ("pymc", "pytensor", "blackjax", "jax", "jaxlib")
    install_hint = "pip install pymc 'blackjax<1.6'"
    description = "PyMC model, BlackJAX NUTS + window adaptation via pm.sample"
    nuts_sampler = "blackjax"
    max_treedepth_kwarg = "max_num_doublings"
    import_modules = (*PyMCJaxBackend.import_modules, "blackjax")

    def installation_problem(self):
        from importlib.metadata import version

        installed = version("blackjax")
        if tuple(int(p) for p in installed.split(".")[:2]) >= (1, 6):
            return (
                f"blackjax {installed} breaks pm.sample(nuts_sampler='blackjax') "
                "(unexpected keyword 'progress_bar'); install with: pip install 'blackjax<1.6'"
            )
        return None

    @contextmanager
    def sampling_window(self, clock, warmup):
        import blackjax
        import jax
        import numpy as np
        import pymc.sampling.jax as pymc_jax
        from blackjax.adaptation.base import get_filter_adapt_info_fn

        def counting_adaptation(original):
            def window_adaptation(*args, **kwargs):
                kwargs["adaptation_info_fn"] = get_filter_adapt_info_fn(info_keys={"num_integration_steps"})
                algorithm = original(*args, **kwargs)

                def run(*run_args, **run_kwargs):
                    results, info = algorithm.run(*run_args, **run_kwargs)
                    box["steps"] = info.info.num_integration_steps.sum()
                    box["iterations"] = info.info.num_integration_steps.shape[0]
                    return results, info

                return algorithm._replace(run=run)

            return window_adaptation

        def loop_with_count(original):
            def inference_loop(*args, **kwargs):
                samples, stats = original(*args, **kwargs)  # traced inside PyMC's pmap
                return samples, {**stats, WARMUP_STEPS_KEY: box["steps"]}

            return inference_loop

        def take_count(original):
            def sample(*args, **kwargs):
                samples, stats, module = original(*args, **kwargs)  # already blocked on
                warmup.grad_evals = int(np.asarray(stats.pop(WARMUP_STEPS_KEY)).sum())
                warmup.iterations = box.get("iterations")
                warmup.method = COUNT_METHOD
                return samples, stats, module

            return sample

        box: dict = {}
        with ExitStack() as stack:
            stack.enter_context(clock.wrapped(blackjax, "window_adaptation", counting_adaptation))
            stack.enter_context(clock.wrapped(pymc_jax, "_blackjax_inference_loop", loop_with_count))
            stack.enter_context(clock.sampling_calls(
                pymc_jax, "_sample_blackjax_nuts", block=lambda out: jax.block_until_ready(out[:2])
            ))
            stack.enter_context(clock.wrapped(pymc_jax, "_sample_blackjax_nuts", take_count))
            yield
