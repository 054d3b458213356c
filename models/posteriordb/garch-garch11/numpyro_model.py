"""NumPyro version of posteriordb's garch-garch11 (same posterior as model.stan)."""

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints


def model(data):
    y = jnp.asarray(data["y"], dtype=float)
    sigma1 = jnp.asarray(float(data["sigma1"]))
    mu = numpyro.sample("mu", dist.ImproperUniform(constraints.real, (), ()))
    alpha0 = numpyro.sample("alpha0", dist.ImproperUniform(constraints.positive, (), ()))
    alpha1 = numpyro.sample("alpha1", dist.Uniform(0.0, 1.0))
    beta1 = numpyro.sample("beta1", dist.Uniform(0.0, 1.0 - alpha1))
    # Stan's beta1 is flat on (0, 1 - alpha1); the Uniform's density 1 / (1 - alpha1) is undone.
    numpyro.factor("flat_beta1", jnp.log1p(-alpha1))

    def step(s_prev, y_prev):
        s = jnp.sqrt(alpha0 + alpha1 * (y_prev - mu) ** 2 + beta1 * s_prev ** 2)
        return s, s

    _, rest = jax.lax.scan(step, sigma1, y[:-1])
    numpyro.sample("y", dist.Normal(mu, jnp.concatenate([sigma1[None], rest])), obs=y)
