"""NumPyro version of posteriordb's arma-arma11 (same posterior as model.stan)."""

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist


def model(data):
    y = jnp.asarray(data["y"], dtype=float)
    mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
    phi = numpyro.sample("phi", dist.Normal(0.0, 2.0))
    theta = numpyro.sample("theta", dist.Normal(0.0, 2.0))
    sigma = numpyro.sample("sigma", dist.HalfCauchy(2.5))
    first = y[0] - (mu + phi * mu)

    def step(err_prev, pair):
        y_t, y_prev = pair
        err = y_t - (mu + phi * y_prev + theta * err_prev)
        return err, err

    _, rest = jax.lax.scan(step, first, (y[1:], y[:-1]))
    err = jnp.concatenate([first[None], rest])
    numpyro.factor("err", dist.Normal(0.0, sigma).log_prob(err).sum())
