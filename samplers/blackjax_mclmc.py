"""BlackJAX's unadjusted microcanonical Langevin Monte Carlo (MCLMC), tuned by its own
``mclmc_find_L_and_step_size``, on the NumPyro model's log density (as the ``blackjax`` row).

MCLMC has no accept/reject step: its draws are biased by the step size, which the tuner sets
so that the energy error per dimension stays near ``desired_energy_var`` (kind
``mcmc-biased``). It is judged by its error against the reference per gradient
(samplerbench.analysis.error_trace), never named an MCMC winner.

- The log density, the initial points and the constraining transform: NumPyro's
  ``initialize_model``, as the ``blackjax`` row (positions raveled to one vector, which the
  diagonal preconditioner needs).
- Each chain: ``blackjax.mcmc.mclmc.init`` (one value and gradient), the tuner for
  ``num_steps`` = ``--draws`` (it spends the library's default fractions of it, 0.1 + 0.1 (+ a
  third of that with diagonal preconditioning, its default) + 0.1, on tuning; ``--tune`` does
  not apply), then ``--draws`` steps of ``blackjax.mclmc`` with the tuned L, step size and
  inverse mass matrix; chains in parallel with ``jax.pmap`` (``jit(vmap)`` with fewer devices).
- Gradients: every kernel step is one integrator step; its gradient evaluations are the
  number of position updates of the integrator's palindromic scheme (``len(coefficients) //
  2``: velocity Verlet 1, McLachlan 2, Yoshida 3, Omelyan 5; the last momentum update's
  gradient is the next step's first), read from the integrator ``blackjax.mclmc`` uses by
  default; tests/test_algorithms.py checks it against the compiled program. Warmup = the init's
  gradient + the tuner's kernel steps × that, per chain. The tuner's steps are computed from its
  own fractions as it rounds them (``tuning_steps``): its returned
  ``num_tuning_integrator_steps`` is one short for some lengths (BlackJAX 1.5), and both are
  in the run's notes.
"""

from __future__ import annotations

from samplers._blackjax_flat import host_note, inference_data, prepare, run_chains
from samplers.base import Backend, SamplerOutput, described_calls


def integrator_name(integrator) -> str:
    from blackjax.mcmc import integrators

    return next((name for name in dir(integrators) if getattr(integrators, name) is integrator), repr(integrator))


def gradients_per_step(integrator) -> int:
    """Gradient evaluations of one step of a BlackJAX integrator, from its coefficients (the
    module's named schemes; an integrator that is none of them is refused, not guessed)."""
    from blackjax.mcmc import integrators

    schemes = {
        "velocity_verlet": integrators.velocity_verlet_coefficients,
        "mclachlan": integrators.mclachlan_coefficients,
        "yoshida": integrators.yoshida_coefficients,
        "omelyan": integrators.omelyan_coefficients,
    }
    for name, coefficients in schemes.items():
        if integrator in (getattr(integrators, name, None), getattr(integrators, f"isokinetic_{name}", None)):
            return len(coefficients) // 2
    raise ValueError(f"unknown BlackJAX integrator {integrator!r}: its gradients per step are not known")


def tuning_steps(num_steps: int, tuner) -> int:
    """The kernel steps ``mclmc_find_L_and_step_size`` really runs for ``num_steps``, with its own
    default fractions (read from its signature): ``round(f1 n)`` + ``round(f2 n)`` (+
    ``round(round(f2 n) / 3)`` with diagonal preconditioning, its default) + ``round(f3 n)`` (when
    ≥ 2). BlackJAX 1.5's returned ``num_tuning_integrator_steps`` counts the preconditioning part as
    ``round(f2 n) // 3``: one step short where a third rounds up (n = 200: 66 reported, 67 run;
    tests/test_algorithms.py counts the calls)."""
    import inspect

    defaults = {name: p.default for name, p in inspect.signature(tuner).parameters.items()}
    first, second = round(num_steps * defaults["frac_tune1"]), round(num_steps * defaults["frac_tune2"])
    third = round(num_steps * defaults["frac_tune3"])
    readjust = round(second / 3) if defaults["diagonal_preconditioning"] and second > 1 else 0
    return first + second + readjust + (third if third >= 2 else 0)


class MCLMCBackend(Backend):
    name = "blackjax-mclmc"
    language = "numpyro"
    kind = "mcmc-biased"
    settings_used = ("chains", "draws")  # the tuner's length is the library's fraction of the draws
    packages = ("blackjax", "numpyro", "jax")
    distributions = ("blackjax", "numpyro", "jax", "jaxlib")
    install_hint = "pip install numpyro 'blackjax<1.6'"
    description = "BlackJAX unadjusted MCLMC tuned by mclmc_find_L_and_step_size, on the NumPyro model; biased by its step size"
    import_modules = ("numpyro.infer.util", "blackjax.mcmc.mclmc", "blackjax.adaptation.mclmc_adaptation",
                      "jax.flatten_util")
    # The tuned step size is multiplied by this before sampling: 1 is the library's answer, as
    # users call it. A test raises it to show that a too-large step is reported biased.
    step_size_factor = 1.0

    def run(self, model, data, settings, clock):
        import blackjax
        import inspect
        import numpy as np
        from numpyro.infer.util import initialize_model

        chains = settings.chains
        run_key, init_kwargs, logdensity, constrain, unravel, positions0 = prepare(model, data, settings, clock)
        integrator = inspect.signature(blackjax.mcmc.mclmc.as_top_level_api).parameters["integrator"].default
        per_step = gradients_per_step(integrator)
        tune_kwargs = dict(num_steps=settings.draws)
        factor = self.step_size_factor
        one_chain = _chain_program(logdensity, integrator, settings.draws, tune_kwargs, factor)
        out, chain_method = run_chains(one_chain, run_key, positions0, chains, clock)
        draws, stats, reported_steps, L, step_size = out

        reported = sorted(set(np.asarray(reported_steps).tolist()))
        tuning = tuning_steps(settings.draws, blackjax.mclmc_find_L_and_step_size)
        warmup_grad_evals = chains * (1 + tuning * per_step)  # each chain's init: one gradient
        idata = inference_data(constrain, unravel, draws,
                               {**stats, "n_steps": np.full(np.asarray(stats["lp"]).shape, per_step)})
        notes = [f"JAX compile events seen: {clock.jax_compile_events}",
                 f"integrator {integrator_name(integrator)}: {per_step} gradient(s) per step; tuning steps per "
                 f"chain {tuning} (BlackJAX reports {reported[0] if len(reported) == 1 else reported}); "
                 f"tuned L {np.asarray(L).round(3).tolist()}, step size {np.asarray(step_size).round(4).tolist()}"
                 + (f" (× {factor:g} for sampling)" if factor != 1 else "")]
        notes += host_note(chain_method)
        return SamplerOutput(
            idata=idata,
            **described_calls({
                "numpyro.infer.util.initialize_model": (initialize_model, init_kwargs),
                "blackjax.mclmc_find_L_and_step_size": (blackjax.mclmc_find_L_and_step_size, tune_kwargs),
                "blackjax.mclmc": (blackjax.mcmc.mclmc.as_top_level_api, {}),  # L, step size, mass matrix: the tuner's
            }),
            chain_method=chain_method,
            notes=notes,
            warmup_grad_evals=warmup_grad_evals,
            warmup_iterations=tuning,
            warmup_count_method=("the tuner's kernel steps (its fractions of num_steps, as it rounds them) × the "
                                 "integrator's gradients per step, plus one gradient per chain at init"),
        )


def _chain_program(logdensity, integrator, draws: int, tune_kwargs: dict, factor: float):
    """One chain as one JAX program: init (one gradient), the tuner, then ``draws`` MCLMC steps
    with the tuned L, step size (× ``factor``) and inverse mass matrix."""
    import blackjax
    import jax

    def one_chain(key, position):
        state_key, tune_key, draws_key = jax.random.split(key, 3)
        state = blackjax.mcmc.mclmc.init(position=position, logdensity_fn=logdensity, rng_key=state_key)

        def kernel(inverse_mass_matrix):
            return blackjax.mcmc.mclmc.build_kernel(logdensity_fn=logdensity, integrator=integrator,
                                                    inverse_mass_matrix=inverse_mass_matrix)

        state, params, reported_steps = blackjax.mclmc_find_L_and_step_size(
            mclmc_kernel=kernel, state=state, rng_key=tune_key, **tune_kwargs)
        sampler = blackjax.mclmc(logdensity, L=params.L, step_size=params.step_size * factor,
                                 inverse_mass_matrix=params.inverse_mass_matrix)

        def one_step(state, key):
            state, info = sampler.step(key, state)
            return state, (state.position, {"energy_change": info.energy_change, "lp": state.logdensity})

        _, (positions, stats) = jax.lax.scan(one_step, state, jax.random.split(draws_key, draws))
        return positions, stats, reported_steps, params.L, params.step_size

    return one_chain
