"""NumPyro version of posteriordb's mesquite-logmesquite_logvolume (same posterior as model.stan)."""

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints


def model(data):
    volume = jnp.asarray(data["diam1"], dtype=float) * jnp.asarray(data["diam2"]) * jnp.asarray(data["canopy_height"])
    beta = numpyro.sample("beta", dist.ImproperUniform(constraints.real, (), (2,)))
    sigma = numpyro.sample("sigma", dist.ImproperUniform(constraints.positive, (), ()))
    numpyro.sample("log_weight", dist.Normal(beta[0] + beta[1] * jnp.log(volume), sigma),
                   obs=jnp.log(jnp.asarray(data["weight"], dtype=float)))
