"""What a model's version in one language declares, read from that language's library: the
sampled parameters (stanc's --info, PyMC's ``free_RVs``, NumPyro's trace at an initial point)
and the parameters a run reports. Imports the language's library: the worker (and the model
tools) call it, never the orchestrator."""

from __future__ import annotations

# With no "parameters" in info.json, every sampled parameter is reported, up to this many names
# (each with all its elements); a model with more says which ones it left out.
MAX_DEFAULT_PARAMETERS = 20


def sampled_parameters(spec, language: str, data: dict) -> list[str]:
    """The names of the sampled parameters, in the model's order, as the given language's
    version declares them (imports that language's library, except for Stan)."""
    if language == "stan":
        return list(spec.stan_info()["parameters"])
    if language == "pymc":
        return [rv.name for rv in spec.pymc_builder()(data).free_RVs]
    return [name for name, site in numpyro_trace(spec, data).items()
            if site["type"] == "sample" and not site["is_observed"]]


def numpyro_initial_point(model, data: dict, seed: int = 0) -> dict:
    """A constrained point of a NumPyro model, by site name: NumPyro's own random initial point
    (``initialize_model``), mapped back through the model's transforms. One recipe for the
    parameter trace here and the cross-language checks' points (``tools/logdensity.py``)."""
    import jax
    from numpyro.infer.util import constrain_fn, initialize_model

    jax.config.update("jax_enable_x64", True)  # PROTOCOL: float64 everywhere
    init = initialize_model(jax.random.PRNGKey(seed), model, model_args=(data,))
    return constrain_fn(model, (data,), {}, init.param_info.z, return_deterministic=False)


def numpyro_trace(spec, data: dict) -> dict:
    """The NumPyro model's sites, traced at an initial point rather than by sampling the
    priors (an improper prior, ImproperUniform or a factor, cannot be sampled)."""
    import numpyro.handlers

    model = spec.numpyro_model()
    point = numpyro_initial_point(model, data)
    return numpyro.handlers.trace(numpyro.handlers.substitute(
        numpyro.handlers.seed(model, 0), data=point)).get_trace(data)


def reported_parameters(spec, language: str, data: dict, sampled: list[str] | None = None) -> tuple[list[str], str]:
    """The parameters a run reports: info.json's "parameters", else every sampled parameter
    up to MAX_DEFAULT_PARAMETERS names; with a note when some were left out. ``sampled``:
    ``sampled_parameters(spec, language, data)`` where the caller has it already."""
    if spec.parameters:
        return list(spec.parameters), ""
    names = sampled if sampled is not None else sampled_parameters(spec, language, data)
    if len(names) <= MAX_DEFAULT_PARAMETERS:
        return names, ""
    return names[:MAX_DEFAULT_PARAMETERS], (
        f"reported the first {MAX_DEFAULT_PARAMETERS} of {len(names)} sampled parameters (left out: "
        f"{', '.join(names[MAX_DEFAULT_PARAMETERS:MAX_DEFAULT_PARAMETERS + 5])}"
        f"{', ...' if len(names) > MAX_DEFAULT_PARAMETERS + 5 else ''}); list the ones to report as "
        f'"parameters" in {spec.folder / "info.json"}')

