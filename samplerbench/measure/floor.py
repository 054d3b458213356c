"""The gradient floor: the cheapest compiled log-density-and-gradient evaluation of the model.

Each language the model has, where a direct in-process call exists, is timed the same way:
``LOOP`` chained evaluations of value-and-gradient inside *one* compiled loop (each evaluation
feeds the next through a vanishing step along the gradient, so no compiler can hoist or merge
them, and no Python dispatch sits between evaluations, just as inside a sampler's own loop),
best of ``REPEATS`` loops.

- ``jax``: ``value_and_grad`` of the NumPyro model's potential in a jitted ``lax.fori_loop``
  (XLA; what the NumPyro and BlackJAX rows run).
- ``pytensor``: PyMC's joint log density (Jacobian included) and ``pytensor.grad`` of it over
  the raveled value variables, in a ``pytensor.scan`` compiled with the numba backend
  (PyTensor 3's default linker; what PyMC's own NUTS and nutpie run).
- ``stan``: not timed: PyStan's ``log_prob``/``grad_log_prob`` go through HTTP to httpstan, and
  BridgeStan (Stan's in-process call) is not installed here; the record says so.

The floor is the fastest of them. A backend's ``us_per_grad × parallel chains / floor`` says how
far it is from the arithmetic the model needs; below 1 a backend computes gradients faster
than any compiled gradient timed alone (the report says so in words).
"""

from __future__ import annotations

import time

LOOP = 2000
REPEATS = 15


def _best_per_evaluation(call) -> float:
    call()  # first call outside the timing
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        call()
        best = min(best, (time.perf_counter() - start) / LOOP)
    return best * 1e6


def jax_floor(model, data: dict, seed: int) -> dict:
    import jax
    from numpyro.infer.util import initialize_model

    info = initialize_model(jax.random.PRNGKey(seed), model.numpyro_model(), model_args=(data,))
    value_and_grad = jax.value_and_grad(info.potential_fn)

    def step(_, carry):
        params, total = carry
        value, grad = value_and_grad(params)
        params = jax.tree_util.tree_map(lambda p, g: p + 1e-30 * g, params, grad)
        return params, total + value

    loop = jax.jit(lambda params: jax.lax.fori_loop(0, LOOP, step, (params, 0.0)))
    start = time.perf_counter()
    compiled = loop.lower(info.param_info.z).compile()
    compile_s = time.perf_counter() - start
    us = _best_per_evaluation(lambda: jax.block_until_ready(compiled(info.param_info.z)))
    return {"us_per_grad": us, "compile_s": compile_s,
            "method": f"jax value_and_grad of the NumPyro potential, {LOOP} chained evaluations "
                      f"in one jitted fori_loop, best of {REPEATS}"}


def pytensor_floor(model, data: dict) -> dict:
    import numpy as np
    import pytensor
    import pytensor.tensor as pt
    from pymc.pytensorf import join_nonshared_inputs
    from pytensor.graph.replace import clone_replace

    pm_model = model.pymc_builder()(data)
    point = pm_model.initial_point()
    [logp], flat = join_nonshared_inputs(point, [pm_model.logp(jacobian=True)], pm_model.value_vars)
    grad = pt.grad(logp, flat)
    start_vector = pt.vector("start", dtype="float64")

    def step(params, total):
        value, gradient = clone_replace([logp, grad], {flat: params})
        return params + 1e-30 * gradient, total + value

    params, totals = pytensor.scan(step, outputs_info=[start_vector, pt.as_tensor(np.float64(0.0))],
                                   n_steps=LOOP, return_updates=False)
    begin = time.perf_counter()
    loop = pytensor.function([start_vector], [params[-1], totals[-1]], mode="NUMBA", trust_input=True)
    x0 = np.concatenate([np.ravel(point[v.name]) for v in pm_model.value_vars]).astype("float64")
    loop(x0)  # numba compiles at the first call
    compile_s = time.perf_counter() - begin
    us = _best_per_evaluation(lambda: loop(x0))
    return {"us_per_grad": us, "compile_s": compile_s,
            "method": f"PyTensor (numba) logp and pytensor.grad of the PyMC model, {LOOP} chained "
                      f"evaluations in one compiled scan, best of {REPEATS}"}


STAN_NOT_TIMED = ("no direct in-process call here: PyStan's log_prob/grad_log_prob go through "
                  "HTTP to httpstan, and BridgeStan is not installed")


def measure(model, data: dict, seed: int = 0) -> dict:
    """Every language's floor, each or the reason it is missing; the fastest is the floor."""
    floors: dict[str, dict] = {}
    for language, timer, version in (("jax", lambda: jax_floor(model, data, seed), "numpyro"),
                                     ("pytensor", lambda: pytensor_floor(model, data), "pymc")):
        if version not in model.languages:
            floors[language] = {"us_per_grad": None, "reason": f"the model has no {version} version"}
            continue
        try:
            floors[language] = timer()
        except Exception as err:  # noqa: BLE001 - one language failing leaves the others
            floors[language] = {"us_per_grad": None, "reason": f"{type(err).__name__}: {err}"}
    floors["stan"] = {"us_per_grad": None, "reason": STAN_NOT_TIMED}
    timed = {k: v["us_per_grad"] for k, v in floors.items() if v.get("us_per_grad")}
    if not timed:
        raise RuntimeError("no language's gradient could be timed: " +
                           "; ".join(f"{k}: {v.get('reason')}" for k, v in floors.items()))
    fastest = min(timed, key=timed.get)
    return {
        "floor_us_per_grad": timed[fastest],
        "floor_language": fastest,
        "floors": floors,
        "floor_method": floors[fastest]["method"],
    }
