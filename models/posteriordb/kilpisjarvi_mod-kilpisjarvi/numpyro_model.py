"""NumPyro version of posteriordb's kilpisjarvi_mod-kilpisjarvi (same posterior as model.stan)."""

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints


def model(data):
    alpha = numpyro.sample("alpha", dist.Normal(float(data["pmualpha"]), float(data["psalpha"])))
    beta = numpyro.sample("beta", dist.Normal(float(data["pmubeta"]), float(data["psbeta"])))
    sigma = numpyro.sample("sigma", dist.ImproperUniform(constraints.positive, (), ()))
    x = jnp.asarray(data["x"], dtype=float)
    numpyro.sample("y", dist.Normal(alpha + beta * x, sigma), obs=data["y"])
