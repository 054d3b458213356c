"""The gradient floor: cost of one fused, compiled log-density-and-gradient evaluation.

Measured with JAX on the model's NumPyro version: ``value_and_grad(potential)`` evaluated
``LOOP`` times inside one compiled ``lax.fori_loop`` (each evaluation feeds the next, so XLA
cannot hoist or merge them, and no Python dispatch sits between evaluations, just as inside a
JAX sampler's while loop), timed with ``block_until_ready``; the best of ``REPEATS`` loops wins.
A backend's ``us_per_grad / floor_us_per_grad`` says how far it is from the arithmetic the
model really needs (the rest is tree building, adaptation, bookkeeping, dispatch, language
boundaries).
"""

from __future__ import annotations

import time

LOOP = 2000
REPEATS = 15


def measure(model, data: dict, seed: int = 0) -> dict:
    import jax
    from numpyro.infer.util import initialize_model

    info = initialize_model(jax.random.PRNGKey(seed), model.numpyro_model(), model_args=(data,))
    value_and_grad = jax.value_and_grad(info.potential_fn)

    def step(_, carry):
        params, total = carry
        value, grad = value_and_grad(params)
        # A vanishing step along the gradient chains each evaluation to the previous one.
        params = jax.tree_util.tree_map(lambda p, g: p + 1e-30 * g, params, grad)
        return params, total + value

    loop = jax.jit(lambda params: jax.lax.fori_loop(0, LOOP, step, (params, 0.0)))
    start = time.perf_counter()
    compiled = loop.lower(info.param_info.z).compile()
    compile_s = time.perf_counter() - start
    jax.block_until_ready(compiled(info.param_info.z))  # first call outside the timing

    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        jax.block_until_ready(compiled(info.param_info.z))
        best = min(best, (time.perf_counter() - start) / LOOP)
    return {
        "floor_us_per_grad": best * 1e6,
        "floor_compile_s": compile_s,
        "floor_method": f"jax value_and_grad of the NumPyro model's potential, {LOOP} chained "
                        f"evaluations in one jitted fori_loop, best of {REPEATS}",
    }
