"""NumPyro version of the marginal GP (same kernel and priors as model.stan)."""

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist


def model(data):
    x = jnp.asarray(data["x"])
    sq_dist = (x[:, None] - x[None, :]) ** 2
    rho = numpyro.sample("rho", dist.InverseGamma(5.0, 5.0))
    alpha = numpyro.sample("alpha", dist.HalfNormal(2.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    cov = alpha**2 * jnp.exp(-0.5 * sq_dist / rho**2) + (sigma**2 + 1e-9) * jnp.eye(data["N"])
    numpyro.sample("y", dist.MultivariateNormal(jnp.zeros(data["N"]), covariance_matrix=cov), obs=data["y"])
