"""NumPyro version of the 36-dimensional Rosenbrock density (same density as model.stan)."""

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist


def model(data):
    x = numpyro.sample("x", dist.Normal(1.0, 1.0).expand([data["D"]]))
    numpyro.sample("y", dist.Normal(x ** 2, jnp.sqrt(data["Q"])))
