"""NumPyro version of posteriordb's sblrc-blr (same posterior as model.stan)."""

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist


def model(data):
    X = jnp.asarray(data["X"], dtype=float)
    beta = numpyro.sample("beta", dist.Normal(0.0, 10.0).expand([int(data["D"])]))
    sigma = numpyro.sample("sigma", dist.HalfNormal(10.0))
    numpyro.sample("y", dist.Normal(X @ beta, sigma), obs=data["y"])
