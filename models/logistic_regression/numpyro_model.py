"""NumPyro version of the logistic regression (same priors as model.stan)."""

import numpyro
import numpyro.distributions as dist


def model(data):
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 2.5))
    beta = numpyro.sample("beta", dist.Normal(0.0, 2.5).expand([data["K"]]).to_event(1))
    numpyro.sample("y", dist.Bernoulli(logits=alpha + data["X"] @ beta).to_event(1), obs=data["y"])
