"""PyMC version of posteriordb's eight_schools-eight_schools_noncentered (same posterior as model.stan)."""

import pymc as pm


def build(data):
    with pm.Model() as model:
        theta_trans = pm.Normal("theta_trans", 0.0, 1.0, shape=data["J"])
        mu = pm.Normal("mu", 0.0, 5.0)
        tau = pm.HalfCauchy("tau", beta=5.0)
        theta = pm.Deterministic("theta", mu + tau * theta_trans)
        pm.Normal("y", mu=theta, sigma=data["sigma"], observed=data["y"])
    return model
