"""NumPyro version of the stochastic volatility model (same priors as model.stan).

h is one vector with the AR(1) density added as a factor, as in the PyMC version."""

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints


def model(data):
    phi = numpyro.sample("phi", dist.Uniform(-1.0, 1.0))
    sigma = numpyro.sample("sigma", dist.HalfCauchy(5.0))
    mu = numpyro.sample("mu", dist.Cauchy(0.0, 10.0))
    h = numpyro.sample("h", dist.ImproperUniform(constraints.real, (), (data["T"],)))
    numpyro.factor("h_first", dist.Normal(mu, sigma / jnp.sqrt(1.0 - phi * phi)).log_prob(h[0]))
    numpyro.factor("h_rest", dist.Normal(mu + phi * (h[:-1] - mu), sigma).log_prob(h[1:]).sum())
    numpyro.sample("y", dist.Normal(0.0, jnp.exp(h / 2.0)), obs=data["y"])
