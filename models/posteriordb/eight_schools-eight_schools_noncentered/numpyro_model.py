"""NumPyro version of posteriordb's eight_schools-eight_schools_noncentered (same posterior as model.stan)."""

import numpyro
import numpyro.distributions as dist


def model(data):
    theta_trans = numpyro.sample("theta_trans", dist.Normal(0.0, 1.0).expand([data["J"]]))
    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
    theta = numpyro.deterministic("theta", mu + tau * theta_trans)
    numpyro.sample("y", dist.Normal(theta, data["sigma"]), obs=data["y"])
