"""What the MCLMC and MAMS rows share: the NumPyro model's log density as a function of one flat
vector (their diagonal preconditioner needs one), the chains mapped over host devices inside
the sampling window, and the draws constrained back into ArviZ data after it."""

from __future__ import annotations


def flat_log_density(model, data, keys, init_kwargs: dict):
    """NumPyro's ``initialize_model`` (one start per key): the log density of one flat vector, the
    constraining transform, the unravel and the flat starts."""
    import jax
    from jax.flatten_util import ravel_pytree
    from numpyro.infer.util import initialize_model

    init = initialize_model(keys, model.numpyro_model(), **init_kwargs)
    potential = init.potential_fn(data)
    _, unravel = ravel_pytree(jax.tree.map(lambda leaf: leaf[0], init.param_info.z))
    starts = jax.vmap(lambda z: ravel_pytree(z)[0])(init.param_info.z)

    def logdensity(flat):
        return -potential(unravel(flat))

    return logdensity, init.postprocess_fn(data), unravel, starts


def prepare(model, data, settings, clock):
    """What both rows do first: listen to JAX's compile events, split the run's seed into the
    starts' key and the chains' key, and build the flat log density (``flat_log_density``).
    Returns (chains' key, initialize_model's keywords, log density, constrain, unravel, starts)."""
    import jax

    clock.listen_to_jax()
    init_key, run_key = jax.random.split(jax.random.PRNGKey(settings.seed))
    init_kwargs = dict(model_args=(data,), dynamic_args=True)
    logdensity, constrain, unravel, starts = flat_log_density(
        model, data, jax.random.split(init_key, settings.chains), init_kwargs)
    return run_key, init_kwargs, logdensity, constrain, unravel, starts


def run_chains(one_chain, key, starts, chains: int, clock):
    """Every chain of ``one_chain`` (one JAX program per chain), ``jax.pmap``ped over host devices
    (``jit(vmap)`` with fewer devices than chains), as the sampling window: the call until
    ``block_until_ready``, the moment of dispatch noted. Returns (outputs, chain_method)."""
    import jax

    parallel = jax.local_device_count() >= chains
    mapped = jax.pmap(one_chain) if parallel else jax.jit(jax.vmap(one_chain))
    with clock.sampling():
        out = mapped(jax.random.split(key, chains), starts)
        clock.device_dispatched()
        clock.blocked(out, jax.block_until_ready)
    return out, "parallel" if parallel else "vectorized"


def host_note(chain_method: str) -> list[str]:
    import jax

    return [] if chain_method == "parallel" else [
        f"only {jax.local_device_count()} host device(s): chains vectorised on one"]


def inference_data(constrain, unravel, positions, sample_stats: dict):
    """Constrained draws (and deterministic sites) and the per-draw statistics (``n_steps``:
    gradients per draw) as ArviZ data."""
    import arviz_base
    import jax
    import numpy as np

    constrained = jax.vmap(jax.vmap(lambda flat: constrain(unravel(flat))))(positions)
    groups = {"posterior": {name: np.asarray(values) for name, values in constrained.items()}}
    if sample_stats:  # an approximation's draws have none
        groups["sample_stats"] = {name: np.asarray(values) for name, values in sample_stats.items()}
    return arviz_base.from_dict(groups)
