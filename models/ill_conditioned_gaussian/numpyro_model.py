"""NumPyro version of the ill-conditioned Gaussian (same density as model.stan)."""

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist


def model(data):
    numpyro.sample("x", dist.MultivariateNormal(loc=jnp.zeros(data["D"]), scale_tril=jnp.asarray(data["L"])))
