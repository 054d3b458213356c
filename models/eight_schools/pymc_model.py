"""PyMC version of eight schools, non-centred (same priors as model.stan)."""

import pymc as pm


def build(data):
    with pm.Model() as model:
        mu = pm.Normal("mu", mu=0.0, sigma=5.0)
        tau = pm.HalfCauchy("tau", beta=5.0)
        theta_tilde = pm.Normal("theta_tilde", mu=0.0, sigma=1.0, shape=data["J"])
        theta = pm.Deterministic("theta", mu + tau * theta_tilde)
        pm.Normal("y", mu=theta, sigma=data["sigma"], observed=data["y"])
    return model
