"""BlackJAX's NUTS with window adaptation, run directly on the NumPyro model's log density (the
way bayeux drives it): no PyMC in the way, so this row and ``pymc-blackjax`` differ only in the
model's front end, and this row and ``numpyro`` only in the NUTS implementation.

- The log density: NumPyro's ``initialize_model`` (``dynamic_args=True``) gives the potential
  (minus the log density on the unconstrained space, Jacobians included), the constraining
  transform, and one initial point per chain (NumPyro's default, uniform in (-2, 2) on the
  unconstrained space: the same start as the ``numpyro`` row).
- Each chain: ``blackjax.window_adaptation`` (Stan's windows: step size and diagonal mass
  matrix) for ``tune`` steps, then ``draws`` NUTS steps in a ``lax.scan``; chains in parallel
  with ``jax.pmap`` over host devices (``jax.jit(jax.vmap)`` when there are fewer devices than
  chains), as PyMC's ``nuts_sampler="blackjax"`` does.
- Sampling window: the mapped call until ``jax.block_until_ready``, minus JAX's compile events
  before the chains were dispatched. Constraining the draws and building ArviZ data come after.
- Warmup gradients: the adaptation's info is filtered to ``num_integration_steps`` (one integer
  per warmup step and chain), summed after the window.

BlackJAX is pinned below 1.6 for the whole environment because PyMC's ``pymc-blackjax`` row
needs it (pyproject.toml); this row runs the same pinned version.
"""

from __future__ import annotations

from samplers.base import Backend, SamplerOutput, described_calls


class BlackJAXBackend(Backend):
    name = "blackjax"
    language = "numpyro"
    packages = ("blackjax", "numpyro", "jax")
    distributions = ("blackjax", "numpyro", "jax", "jaxlib")
    install_hint = "pip install numpyro 'blackjax<1.6'"
    description = "BlackJAX NUTS + window adaptation on the NumPyro model's log density, chains in parallel"
    import_modules = ("numpyro.infer.util", "blackjax.adaptation.base")

    def run(self, model, data, settings, clock):
        import blackjax
        import jax
        import numpy as np
        from blackjax.adaptation.base import get_filter_adapt_info_fn
        from numpyro.infer.util import initialize_model

        clock.listen_to_jax()
        chains = settings.chains
        parallel = jax.local_device_count() >= chains
        chain_method = "parallel" if parallel else "vectorized"
        init_key, run_key = jax.random.split(jax.random.PRNGKey(settings.seed))

        init_kwargs = dict(model_args=(data,), dynamic_args=True)
        init = initialize_model(jax.random.split(init_key, chains), model.numpyro_model(), **init_kwargs)
        potential = init.potential_fn(data)
        constrain = init.postprocess_fn(data)

        def logdensity(position):
            return -potential(position)

        adaptation_kwargs = dict(
            target_acceptance_rate=settings.target_accept,
            max_num_doublings=settings.max_treedepth,  # handed on to NUTS during warmup too
            adaptation_info_fn=get_filter_adapt_info_fn(info_keys={"num_integration_steps"}),
        )
        run_kwargs = dict(num_steps=settings.tune)

        one_chain = _chain_program(logdensity, settings, adaptation_kwargs, run_kwargs)
        mapped = jax.pmap(one_chain) if parallel else jax.jit(jax.vmap(one_chain))
        with clock.sampling():
            out = mapped(jax.random.split(run_key, chains), init.param_info.z)
            clock.device_dispatched()
            clock.blocked(out, jax.block_until_ready)
        positions, stats, warmup_steps = out

        idata = _inference_data(constrain, positions, stats)  # output, outside the window
        notes = [f"JAX compile events seen: {clock.jax_compile_events}"]
        if not parallel:
            notes.append(f"only {jax.local_device_count()} host device(s): chains vectorised on one")
        return SamplerOutput(
            idata=idata,
            **described_calls({
                "numpyro.infer.util.initialize_model": (initialize_model, init_kwargs),
                "blackjax.window_adaptation": (blackjax.window_adaptation, adaptation_kwargs),
                "window_adaptation.run": (None, run_kwargs),
                "blackjax.nuts": (blackjax.nuts, {"max_num_doublings": settings.max_treedepth}),
            }),
            chain_method=chain_method,
            notes=notes,
            warmup_grad_evals=int(np.asarray(warmup_steps).sum()),
            warmup_iterations=settings.tune,
            warmup_count_method="BlackJAX's adaptation info, filtered to num_integration_steps (the default "
                                "keeps every warmup state and info)",
        )


def _chain_program(logdensity, settings, adaptation_kwargs: dict, run_kwargs: dict):
    """One chain, as one JAX program: window adaptation, then the draws with NUTS, keeping the
    per-draw statistics ArviZ reads (and the warmup's step counts, filtered to that one field)."""
    import blackjax
    import jax

    def one_chain(key, position):
        warmup_key, draws_key = jax.random.split(key)
        adaptation = blackjax.window_adaptation(blackjax.nuts, logdensity, **adaptation_kwargs)
        (state, parameters), warmup_info = adaptation.run(warmup_key, position, **run_kwargs)
        step = blackjax.nuts(logdensity, **{**parameters, "max_num_doublings": settings.max_treedepth}).step

        def one_step(state, key):
            state, info = step(key, state)
            stats = {
                "diverging": info.is_divergent,
                "energy": info.energy,
                "tree_depth": info.num_trajectory_expansions,
                "n_steps": info.num_integration_steps,
                "acceptance_rate": info.acceptance_rate,
                "lp": state.logdensity,
            }
            return state, (state.position, stats)

        _, (positions, stats) = jax.lax.scan(one_step, state, jax.random.split(draws_key, settings.draws))
        return positions, stats, warmup_info.info.num_integration_steps

    return one_chain


def _inference_data(constrain, positions, stats):
    """Constrained draws (and deterministic sites) and the per-draw statistics, as ArviZ data."""
    import arviz_base
    import jax
    import numpy as np

    constrained = jax.vmap(jax.vmap(constrain))(positions)
    return arviz_base.from_dict({
        "posterior": {name: np.asarray(values) for name, values in constrained.items()},
        "sample_stats": {name: np.asarray(values) for name, values in stats.items()},
    })
