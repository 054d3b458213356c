"""NumPyro version of posteriordb's arK-arK (same posterior as model.stan)."""

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist


def model(data):
    K, T = int(data["K"]), int(data["T"])
    y = jnp.asarray(data["y"], dtype=float)
    lags = jnp.stack([y[K - k:T - k] for k in range(1, K + 1)], axis=1)
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 10.0))
    beta = numpyro.sample("beta", dist.Normal(0.0, 10.0).expand([K]))
    sigma = numpyro.sample("sigma", dist.HalfCauchy(2.5))
    numpyro.sample("y", dist.Normal(alpha + lags @ beta, sigma), obs=y[K:])
