"""BlackJAX's Metropolis-adjusted microcanonical sampler (MAMS, ``adjusted_mclmc_dynamic``), tuned
by its own ``adjusted_mclmc_find_L_and_step_size``, on the NumPyro model's log density (as the
``blackjax`` and ``blackjax-mclmc`` rows). The accept/reject step makes it exact in the limit:
kind ``mcmc``, so it can win.

Written the way BlackJAX's sampling book drives it: per chain ``adjusted_mclmc_dynamic.init``,
the tuner with a kernel whose number of integration steps per proposal is random with mean
L / step size (BlackJAX's ``rescale``), ``target`` = the
comparison's ``--target-accept`` (the tuner has no default), the tuner's other defaults
(fractions 0.1 + 0.1 of ``num_steps`` = ``--draws``, diagonal preconditioning), then ``--draws``
steps of ``blackjax.adjusted_mclmc_dynamic`` with the tuned parameters in a ``lax.scan``; chains
``jax.pmap``ped. ``--tune`` and ``--max-treedepth`` do not apply. BlackJAX 1.5's defaults leave
out the tuner's third stage (``frac_tune3=0.0``: L from the autocorrelation), so L stays √dim
after preconditioning and a proposal runs one to a few integration steps; the row keeps them,
as users get them.

Gradients: each proposal runs ``num_integration_steps`` integrator steps (the library's info),
each of the integrator's gradients per step (McLachlan: 2); warmup = one gradient at init + the
tuner's own ``num_tuning_integrator_steps`` (a sum of the same info) × that, per chain.
"""

from __future__ import annotations

from samplers.base import Backend, SamplerOutput, described_calls
from samplers._blackjax_flat import host_note, inference_data, prepare, run_chains
from samplers.blackjax_mclmc import gradients_per_step, integrator_name


def random_steps(average):
    """The number of integration steps of one proposal: random, with mean ``average`` (BlackJAX's
    own ``rescale``: ceil(U(0, 1) × s) has mean ``average``)."""
    import jax
    import jax.numpy as jnp
    from blackjax.mcmc.adjusted_mclmc_dynamic import rescale

    return lambda key: jnp.ceil(jax.random.uniform(key) * rescale(average)).astype("int32")


def tuning_iterations(num_steps: int, tuner) -> int:
    """The tuner's proposals per chain with its default fractions (read from its signature): a
    dual-averaging pass of int(f1 n) + int(f2 n), then, with f2 > 0, a second pass of int(f1 n)
    (BlackJAX 1.5, ``adjusted_mclmc_make_L_step_size_adaptation``; f3 = 0 by default)."""
    import inspect

    defaults = {name: p.default for name, p in inspect.signature(tuner).parameters.items()}
    first, second = int(num_steps * defaults["frac_tune1"]), int(num_steps * defaults["frac_tune2"])
    if defaults["frac_tune3"] or defaults["num_windows"] != 1:
        raise ValueError("the tuner's defaults changed: count its iterations again")
    return first + second + (first if second else 0)


class MAMSBackend(Backend):
    name = "blackjax-mams"
    language = "numpyro"
    packages = ("blackjax", "numpyro", "jax")
    distributions = ("blackjax", "numpyro", "jax", "jaxlib")
    install_hint = "pip install numpyro 'blackjax<1.6'"
    description = ("BlackJAX MAMS (adjusted_mclmc_dynamic) tuned by adjusted_mclmc_find_L_and_step_size, "
                   "on the NumPyro model")
    import_modules = ("numpyro.infer.util", "blackjax.mcmc.adjusted_mclmc_dynamic",
                      "blackjax.adaptation.adjusted_mclmc_adaptation", "jax.flatten_util")
    settings_used = ("chains", "draws", "target_accept")

    def run(self, model, data, settings, clock):
        import blackjax
        import inspect
        import numpy as np
        from numpyro.infer.util import initialize_model

        chains = settings.chains
        run_key, init_kwargs, logdensity, constrain, unravel, positions0 = prepare(model, data, settings, clock)
        top_level = blackjax.mcmc.adjusted_mclmc_dynamic.as_top_level_api
        integrator = inspect.signature(top_level).parameters["integrator"].default
        per_step = gradients_per_step(integrator)
        tune_kwargs = dict(num_steps=settings.draws, target=settings.target_accept)
        one_chain = _chain_program(logdensity, integrator, settings.draws, tune_kwargs)
        out, chain_method = run_chains(one_chain, run_key, positions0, chains, clock)
        draws, stats, tuning_steps, L, step_size = out

        tuning = np.asarray(tuning_steps, dtype=np.int64)
        stats = dict(stats)
        stats["n_steps"] = np.asarray(stats.pop("n_integration")) * per_step  # gradients per draw
        idata = inference_data(constrain, unravel, draws, stats)
        notes = [f"JAX compile events seen: {clock.jax_compile_events}",
                 f"integrator {integrator_name(integrator)}: {per_step} gradient(s) per integration step; tuning "
                 f"integration steps per chain {tuning.tolist()}; tuned L {np.asarray(L).round(3).tolist()}, "
                 f"step size {np.asarray(step_size).round(4).tolist()}"]
        stuck = np.flatnonzero(np.asarray(L) < np.asarray(step_size))
        if stuck.size:  # BlackJAX's rescale(L / step size) is 0 below 1: no integration step, no move
            notes.append(f"chain(s) {stuck.tolist()}: the tuner's step size is above its L, so every proposal "
                         "runs 0 integration steps and the chain does not move (BlackJAX's rescale)")
        notes += host_note(chain_method)
        return SamplerOutput(
            idata=idata,
            **described_calls({
                "numpyro.infer.util.initialize_model": (initialize_model, init_kwargs),
                "blackjax.adjusted_mclmc_find_L_and_step_size": (blackjax.adjusted_mclmc_find_L_and_step_size,
                                                                 tune_kwargs),
                "blackjax.adjusted_mclmc_dynamic": (top_level, {}),  # step size, steps, mass matrix: the tuner's
            }),
            chain_method=chain_method,
            notes=notes,
            warmup_grad_evals=int(chains + tuning.sum() * per_step),  # each chain's init: one gradient
            warmup_iterations=tuning_iterations(settings.draws, blackjax.adjusted_mclmc_find_L_and_step_size),
            warmup_count_method=("the tuner's own num_tuning_integrator_steps (a sum of its proposals' "
                                 "num_integration_steps) × the integrator's gradients per step, plus one per chain at init"),
        )


def _chain_program(logdensity, integrator, draws: int, tune_kwargs: dict):
    """One chain as one JAX program: init (one gradient), the tuner, then ``draws`` MAMS steps."""
    import blackjax
    import jax

    mams = blackjax.mcmc.adjusted_mclmc_dynamic

    def tuning_kernel(rng_key, state, avg_num_integration_steps, step_size, inverse_mass_matrix):
        return mams.build_kernel(integrator=integrator, integration_steps_fn=random_steps(avg_num_integration_steps),
                                 inverse_mass_matrix=inverse_mass_matrix)(
            rng_key=rng_key, state=state, step_size=step_size, logdensity_fn=logdensity)

    def one_chain(key, position):
        state_key, tune_key, draws_key = jax.random.split(key, 3)
        state = mams.init(position=position, logdensity_fn=logdensity, random_generator_arg=state_key)
        state, params, tuning_steps = blackjax.adjusted_mclmc_find_L_and_step_size(
            mclmc_kernel=tuning_kernel, state=state, rng_key=tune_key, **tune_kwargs)
        sampler = blackjax.adjusted_mclmc_dynamic(
            logdensity_fn=logdensity, step_size=params.step_size, inverse_mass_matrix=params.inverse_mass_matrix,
            integration_steps_fn=random_steps(params.L / params.step_size))

        def one_step(state, key):
            state, info = sampler.step(key, state)
            return state, (state.position, {"n_integration": info.num_integration_steps,
                                            "diverging": info.is_divergent,
                                            "acceptance_rate": info.acceptance_rate, "lp": state.logdensity})

        _, (positions, stats) = jax.lax.scan(one_step, state, jax.random.split(draws_key, draws))
        return positions, stats, tuning_steps, params.L, params.step_size

    return one_chain
