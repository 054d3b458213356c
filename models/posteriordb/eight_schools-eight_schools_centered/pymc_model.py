"""PyMC version of eight schools, centred (same priors as model.stan)."""

import pymc as pm


def build(data):
    with pm.Model() as model:
        mu = pm.Normal("mu", mu=0.0, sigma=5.0)
        tau = pm.HalfCauchy("tau", beta=5.0)
        theta = pm.Normal("theta", mu=mu, sigma=tau, shape=data["J"])
        pm.Normal("y", mu=theta, sigma=data["sigma"], observed=data["y"])
    return model
