"""NumPyro version of the collinear regression (same priors as model.stan)."""

import numpyro
import numpyro.distributions as dist


def model(data):
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 10.0))
    with numpyro.plate("predictors", data["K"]):
        beta = numpyro.sample("beta", dist.Normal(0.0, 10.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(5.0))
    numpyro.sample("y", dist.Normal(alpha + data["X"] @ beta, sigma), obs=data["y"])
