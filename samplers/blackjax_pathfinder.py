"""BlackJAX's multi-path Pathfinder (``blackjax.multipathfinder``): one L-BFGS path per chain
from NumPyro's initial points, a normal approximation at the point of each path with the best
ELBO estimate, then draws importance-resampled (PSIS) from the paths' pooled draws. An
approximation (kind ``approximate``), judged by the error of its draws against the reference
(one point per fit), never named an MCMC winner.

- Everything of ``init`` is BlackJAX's default (200 draws per path for each ELBO estimate and
  for the pool, L-BFGS ``maxiter=30``, ``maxcor=10``); paths = ``--chains``; then ``sample``
  draws ``--chains`` × ``--draws`` (arranged as chains × draws, as the ADVI rows). Init and
  sample are one JAX program, the sampling window.
- Gradients: the L-BFGS value-and-gradient calls; the ELBO estimates' and the pool's density
  evaluations (no gradient) are counted apart (``density_evals``). Both come from an untimed
  counting run (PROTOCOL: a count that would change the timed work is taken outside it): the
  same program, seed and starts, with the log density wrapped so that each evaluation calls
  back to the host (a ``custom_jvp``: the value alone, or the value with its gradient). The
  paths are vectorised, so the count is what the compiled program computes, a path that had
  converged included while another still ran. The counting run's draws must equal the timed
  run's (``replay_identical``).
"""

from __future__ import annotations

from samplers._blackjax_flat import inference_data, prepare
from samplers.base import Backend, SamplerOutput, WarmupCount, described_calls


def counting_log_density(logdensity):
    """``logdensity`` with two host counters: evaluations of the value alone and of the value with
    its gradient, each row of a batch once. A ``pure_callback`` that sees a whole batch at once
    (``vmap_method="expand_dims"``: a ``debug.callback`` is unrolled over every batch row, which made
    XLA compile the counting program for minutes); its zero result is added to the value and to
    the gradient, so that the compiler keeps it wherever either is used. Returns (wrapped function, counts)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    counts = {"value": 0, "gradient": 0}

    def tally(kind, x):
        def callback(x):
            x = np.asarray(x)
            counts[kind] += int(x.size // x.shape[-1]) if x.ndim > 1 else 1
            return np.zeros(x.shape[:-1], dtype=x.dtype)
        return jax.pure_callback(callback, jax.ShapeDtypeStruct(x.shape[:-1], x.dtype), x,
                                 vmap_method="expand_dims")

    @jax.custom_jvp
    def counted(x):
        return logdensity(x) + tally("value", x)

    @counted.defjvp
    def counted_jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        value, gradient = jax.value_and_grad(logdensity)(x)
        zero = tally("gradient", x)
        # in the gradient too: under jax.grad the value is unused, and an unused pure callback is removed
        return value + zero, jnp.dot(gradient + zero[..., None] * 0.0, dx)

    return counted, counts


def _program(logdensity, chains: int, draws: int):
    """Multi-path Pathfinder as one JAX program: the paths' fit, then ``chains × draws`` draws."""
    import blackjax
    import jax

    pathfinder = blackjax.multipathfinder(logdensity)

    def program(key, starts):
        fit_key, draws_key = jax.random.split(key)
        state, _ = pathfinder.init(fit_key, starts)
        return pathfinder.sample(draws_key, state, chains * draws), state

    return jax.jit(program)


class PathfinderBackend(Backend):
    name = "pathfinder"
    language = "numpyro"
    kind = "approximate"
    settings_used = ("chains", "draws")  # paths, and the resampled draws; the fit's length is BlackJAX's
    packages = ("blackjax", "numpyro", "jax")
    distributions = ("blackjax", "numpyro", "jax", "jaxlib")
    install_hint = "pip install numpyro 'blackjax<1.6'"
    description = "BlackJAX multi-path Pathfinder (its defaults, one path per chain), then PSIS-resampled draws"
    import_modules = ("numpyro.infer.util", "blackjax.vi.multipathfinder", "jax.flatten_util")
    in_default_sweep = False  # an algorithm beside the NUTS rows: by name or --samplers all

    def run(self, model, data, settings, clock):
        import blackjax
        import jax
        import numpy as np
        from blackjax.vi.multipathfinder import multi_approximate, psis_weights
        from numpyro.infer.util import initialize_model

        chains, draws = settings.chains, settings.draws
        run_key, init_kwargs, logdensity, constrain, unravel, starts = prepare(model, data, settings, clock)
        with clock.sampling():
            out = _program(logdensity, chains, draws)(run_key, starts)
            clock.device_dispatched()
            clock.blocked(out, jax.block_until_ready)
        flat, state = out
        positions = np.asarray(flat).reshape(chains, draws, -1)
        _, pareto_k = psis_weights(state)

        def count() -> WarmupCount:
            counted, counts = counting_log_density(logdensity)
            replay, _ = _program(counted, chains, draws)(run_key, starts)
            jax.block_until_ready(replay)
            jax.effects_barrier()
            return WarmupCount(grad_evals=counts["gradient"], iterations=None,  # multipathfinder keeps each path's best point only
                               density_evals=counts["value"],
                               method="L-BFGS value-and-gradient calls of an untimed counting run (same program, "
                                      "seed and starts; the log density calls back to the host on each evaluation)",
                               replay_identical=bool(np.allclose(np.asarray(replay), np.asarray(flat), rtol=1e-9, atol=1e-9)))

        return SamplerOutput(
            idata=inference_data(constrain, unravel, positions, {}),
            **described_calls({
                "numpyro.infer.util.initialize_model": (initialize_model, init_kwargs),
                "blackjax.multipathfinder(...).init": (multi_approximate, {}),
                "blackjax.multipathfinder(...).sample": (None, {"num_samples": chains * draws}),
            }),
            chain_method=f"{chains} L-BFGS paths vectorised, then independent draws",
            notes=[f"JAX compile events seen: {clock.jax_compile_events}",
                   f"{chains} L-BFGS paths; PSIS Pareto k of the pooled "
                   f"draws {float(pareto_k):.2f} (above 0.7: the importance weights are unreliable)"],
            count_warmup=count,
            draws_grad_evals=0,
            warmup_count_method="L-BFGS value-and-gradient calls, counted by an untimed counting run",
        )
