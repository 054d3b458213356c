"""NumPyro version of posteriordb's hmm_example-hmm_example (same posterior as model.stan)."""

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from jax.scipy.special import logsumexp
from numpyro.distributions import constraints


def model(data):
    y = jnp.asarray(data["y"], dtype=float)
    K = int(data["K"])
    # Each row of the transition matrix, a 2-simplex uniform on its first element (as model.stan).
    theta1_1 = numpyro.sample("theta1_1", dist.Uniform(0.0, 1.0))
    theta2_1 = numpyro.sample("theta2_1", dist.Uniform(0.0, 1.0))
    theta1 = numpyro.deterministic("theta1", jnp.stack([theta1_1, 1.0 - theta1_1]))
    theta2 = numpyro.deterministic("theta2", jnp.stack([theta2_1, 1.0 - theta2_1]))
    # mu = [mu_first, mu_first + mu_gap], both positive: Stan's positive_ordered, with the same
    # transform (log of each) in every language; normal(3, 1) and normal(10, 1) on its elements.
    mu_first = numpyro.sample("mu_first", dist.ImproperUniform(constraints.positive, (), ()))
    mu_gap = numpyro.sample("mu_gap", dist.ImproperUniform(constraints.positive, (), ()))
    mu = numpyro.deterministic("mu", jnp.stack([mu_first, mu_first + mu_gap]))
    numpyro.factor("mu_prior", dist.Normal(jnp.array([3.0, 10.0]), 1.0).log_prob(mu).sum())
    log_theta = jnp.log(jnp.stack([theta1, theta2]))  # row j: from state j

    def emission(y_t):
        return dist.Normal(mu, 1.0).log_prob(y_t)

    def forward(gamma, y_t):
        gamma = logsumexp(gamma[:, None] + log_theta, axis=0) + emission(y_t)
        return gamma, None

    gamma, _ = jax.lax.scan(forward, emission(y[0]), y[1:])
    numpyro.factor("forward", logsumexp(gamma))
