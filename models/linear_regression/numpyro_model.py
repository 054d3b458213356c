"""NumPyro version of the linear regression (same priors as model.stan)."""

import numpyro
import numpyro.distributions as dist


def model(data):
    sigma = numpyro.sample("sigma", dist.HalfCauchy(10.0))
    intercept = numpyro.sample("intercept", dist.Normal(0.0, 20.0))
    slope = numpyro.sample("slope", dist.Normal(0.0, 20.0))
    numpyro.sample("y", dist.Normal(intercept + slope * data["x"], sigma), obs=data["y"])
