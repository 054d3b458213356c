"""The gradient floor: cost of one fused, compiled log-density-and-gradient evaluation.

Measured with JAX on the model's NumPyro version: ``jit(value_and_grad(potential))``,
compiled ahead of time, then timed in batches with ``block_until_ready``; the best batch
wins. A backend's ``us_per_grad / floor_us_per_grad`` says how far it is from the arithmetic
the model really needs (everything above 1 is tree building, adaptation, bookkeeping,
dispatch, language boundaries).
"""

from __future__ import annotations

import time

BATCH = 200
REPEATS = 30


def measure(model, data: dict, seed: int = 0) -> dict:
    import jax
    from numpyro.infer.util import initialize_model

    info = initialize_model(jax.random.PRNGKey(seed), model.numpyro_model(), model_args=(data,))
    params = info.param_info.z
    value_and_grad = jax.jit(jax.value_and_grad(info.potential_fn))

    start = time.perf_counter()
    compiled = value_and_grad.lower(params).compile()
    compile_s = time.perf_counter() - start
    jax.block_until_ready(compiled(params))  # first call outside the timing

    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(BATCH):
            out = compiled(params)
        jax.block_until_ready(out)
        best = min(best, (time.perf_counter() - start) / BATCH)
    return {
        "floor_us_per_grad": best * 1e6,
        "floor_compile_s": compile_s,
        "floor_method": f"jax.jit(jax.value_and_grad(potential)) on the NumPyro model, best of "
                        f"{REPEATS} batches of {BATCH} calls, block_until_ready per batch",
    }
