"""BlackJAX's ChEES-HMC: jittered dynamic HMC whose step size and trajectory length are tuned by
``chees_adaptation`` across many chains at once, on the NumPyro model's log density (as the
``blackjax`` row). Accept/reject makes it exact in the limit: kind ``mcmc``.

- Chains: ChEES tunes the trajectory length from a cross-chain criterion (the change in the
  estimator of the expected square, averaged over the chains), so it needs many chains; its
  paper runs hundreds on an accelerator. On a 2-core CPU every chain is one more copy of the
  same vectorised program on one core, so the row runs ``CHEES_CHAINS`` = 16 (twice bayeux's
  default of 8, enough for a criterion averaged over chains, cheap enough here) or
  ``--chains`` if that is more, and keeps the comparison's total of kept draws: ``--chains`` ×
  ``--draws``, split over its chains (rounded up).
- Warmup: ``chees_adaptation(logdensity, num_chains, target_acceptance_rate=--target-accept)``
  (its other keywords its defaults) and ``.run(key, positions, step_size, optim,
  num_steps=--tune)``. ``step_size`` and ``optim`` have no library default: the row passes
  bayeux's (0.5 and ``optax.adam(learning_rate=0.01)``), recorded with the call.
- Sampling: ``blackjax.dynamic_hmc(logdensity, **parameters)`` with the tuned parameters,
  ``--draws`` per chain in a ``lax.scan``, the chains ``jax.vmap``ped; warmup and draws are one
  JAX program, the sampling window.
- Gradients: each transition's ``num_integration_steps`` (the library's info) × the
  integrator's gradients per step (velocity Verlet: 1), warmup from the adaptation's own info,
  plus one gradient per chain at init.
"""

from __future__ import annotations

import dataclasses
import math

from samplers._blackjax_flat import inference_data, prepare
from samplers.base import Backend, SamplerOutput, described_calls
from samplers.blackjax_mclmc import gradients_per_step, integrator_name

CHEES_CHAINS = 16
INITIAL_STEP_SIZE = 0.5  # bayeux's; chees_adaptation(...).run has no default
LEARNING_RATE = 0.01  # bayeux's optax.adam learning rate for the trajectory length


class ChEESBackend(Backend):
    name = "blackjax-chees"
    language = "numpyro"
    packages = ("blackjax", "numpyro", "jax", "optax")
    distributions = ("blackjax", "numpyro", "jax", "jaxlib", "optax")
    install_hint = "pip install numpyro 'blackjax<1.6'"
    description = (f"BlackJAX ChEES-HMC (chees_adaptation, then dynamic_hmc) on {CHEES_CHAINS} vectorised chains, "
                   "on the NumPyro model")
    import_modules = ("numpyro.infer.util", "blackjax.adaptation.chees_adaptation", "blackjax.mcmc.dynamic_hmc",
                      "jax.flatten_util")
    settings_used = ("chains", "tune", "draws", "target_accept")
    in_default_sweep = False  # an algorithm beside the NUTS rows: by name or --samplers all

    def run(self, model, data, settings, clock):
        import blackjax
        import inspect
        import jax
        import numpy as np
        import optax
        from numpyro.infer.util import initialize_model

        chains = max(settings.chains, CHEES_CHAINS)
        draws = math.ceil(settings.chains * settings.draws / chains)
        run_key, init_kwargs, logdensity, constrain, unravel, starts = prepare(
            model, data, dataclasses.replace(settings, chains=chains), clock)
        adapt_kwargs = dict(num_chains=chains, target_acceptance_rate=settings.target_accept)
        optim = optax.adam(learning_rate=LEARNING_RATE)
        run_kwargs = dict(step_size=INITIAL_STEP_SIZE, optim=optim, num_steps=settings.tune)
        integrator = inspect.signature(blackjax.mcmc.dynamic_hmc.as_top_level_api).parameters["integrator"].default
        per_step = gradients_per_step(integrator)

        program = _program(logdensity, adapt_kwargs, run_kwargs, chains, draws)
        with clock.sampling():
            out = program(run_key, starts)
            clock.device_dispatched()
            clock.blocked(out, jax.block_until_ready)
        positions, stats, warmup_steps, step_size = out
        # scan stacks draws first: chains × draws as every row hands them back
        positions = np.swapaxes(np.asarray(positions), 0, 1)
        stats = {name: np.swapaxes(np.asarray(value), 0, 1) for name, value in stats.items()}
        stats["n_steps"] = stats.pop("n_integration") * per_step  # gradients per draw
        warmup_steps = np.asarray(warmup_steps, dtype=np.int64)
        return SamplerOutput(
            idata=inference_data(constrain, unravel, positions, stats),
            **described_calls({
                "numpyro.infer.util.initialize_model": (initialize_model, init_kwargs),
                "blackjax.chees_adaptation": (blackjax.chees_adaptation, adapt_kwargs),
                "chees_adaptation(...).run": (blackjax.chees_adaptation(logdensity, **adapt_kwargs).run,
                                              {**run_kwargs, "optim": f"optax.adam(learning_rate={LEARNING_RATE})"}),
                "blackjax.dynamic_hmc": (blackjax.mcmc.dynamic_hmc.as_top_level_api, {}),  # step size, trajectory: the adaptation's
            }),
            chain_method="vectorized",
            notes=[f"JAX compile events seen: {clock.jax_compile_events}",
                   f"{chains} chains × {draws} draws ({settings.chains} × {settings.draws} asked, split over ChEES's "
                   f"chains); integrator {integrator_name(integrator)}: {per_step} gradient(s) per step; tuned step "
                   f"size {float(step_size):.4g}; warmup integration steps per transition "
                   f"{warmup_steps[:, 0].min()}–{warmup_steps[:, 0].max()}"],
            warmup_grad_evals=int(chains + warmup_steps.sum() * per_step),  # each chain's init: one gradient
            warmup_iterations=settings.tune,
            warmup_count_method=("the adaptation's own info.num_integration_steps summed over its transitions and "
                                 "chains × the integrator's gradients per step, plus one per chain at init"),
        )


def _program(logdensity, adapt_kwargs: dict, run_kwargs: dict, chains: int, draws: int):
    """ChEES as one JAX program: the cross-chain adaptation, then ``draws`` transitions of every
    chain (``jax.vmap``) in a ``lax.scan``. Returns the jitted function of (key, starts)."""
    import blackjax
    import jax

    def program(key, positions):
        warmup_key, draws_key = jax.random.split(key)
        warmup = blackjax.chees_adaptation(logdensity, **adapt_kwargs)
        (states, parameters), info = warmup.run(warmup_key, positions, **run_kwargs)
        warmup_steps = info[1].num_integration_steps  # (state, info, adaptation state) per step
        step = jax.vmap(blackjax.dynamic_hmc(logdensity, **parameters).step)

        def one_draw(states, key):
            states, info = step(jax.random.split(key, chains), states)
            return states, (states.position, {"n_integration": info.num_integration_steps,
                                              "diverging": info.is_divergent,
                                              "acceptance_rate": info.acceptance_rate, "lp": states.logdensity})

        _, (positions, stats) = jax.lax.scan(one_draw, states, jax.random.split(draws_key, draws))
        return positions, stats, warmup_steps, parameters["step_size"]

    return jax.jit(program)
