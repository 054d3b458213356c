"""NumPyro version of posteriordb's earnings-logearn_interaction (same posterior as model.stan)."""

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints


def model(data):
    height, male = jnp.asarray(data["height"], dtype=float), jnp.asarray(data["male"], dtype=float)
    beta = numpyro.sample("beta", dist.ImproperUniform(constraints.real, (), (4,)))
    sigma = numpyro.sample("sigma", dist.ImproperUniform(constraints.positive, (), ()))
    mean = beta[0] + beta[1] * height + beta[2] * male + beta[3] * height * male
    numpyro.sample("log_earn", dist.Normal(mean, sigma), obs=jnp.log(jnp.asarray(data["earn"], dtype=float)))
