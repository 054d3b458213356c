"""NumPyro version of posteriordb's gp_pois_regr-gp_pois_regr (same posterior as model.stan)."""

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist


def model(data):
    x = jnp.asarray(data["x"], dtype=float)
    sq_dist = (x[:, None] - x[None, :]) ** 2
    n = int(data["N"])
    rho = numpyro.sample("rho", dist.Gamma(25.0, 4.0))
    alpha = numpyro.sample("alpha", dist.HalfNormal(2.0))
    f_tilde = numpyro.sample("f_tilde", dist.Normal(0.0, 1.0).expand([n]))
    cov = alpha**2 * jnp.exp(-0.5 * sq_dist / rho**2) + 1e-10 * jnp.eye(n)
    f = numpyro.deterministic("f", jnp.linalg.cholesky(cov) @ f_tilde)
    numpyro.sample("k", dist.Poisson(rate=jnp.exp(f)), obs=data["k"])
