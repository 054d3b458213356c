"""NumPyro version of the 2PL IRT model (same priors as model.stan)."""

import numpyro
import numpyro.distributions as dist


def model(data):
    mu_b = numpyro.sample("mu_b", dist.Normal(0.0, 5.0))
    sigma_b = numpyro.sample("sigma_b", dist.HalfNormal(2.0))
    with numpyro.plate("items", data["K"]):
        a = numpyro.sample("a", dist.LogNormal(0.0, 0.5))
        b = numpyro.sample("b", dist.Normal(mu_b, sigma_b))
    with numpyro.plate("students", data["J"]):
        theta = numpyro.sample("theta", dist.Normal(0.0, 1.0))
    logits = a[None, :] * (theta[:, None] - b[None, :])
    numpyro.sample("y", dist.Bernoulli(logits=logits), obs=data["y"])
