"""PyMC version of the collinear regression (same priors as model.stan)."""

import pymc as pm


def build(data):
    with pm.Model() as model:
        alpha = pm.Normal("alpha", mu=0.0, sigma=10.0)
        beta = pm.Normal("beta", mu=0.0, sigma=10.0, shape=data["K"])
        sigma = pm.HalfNormal("sigma", sigma=5.0)
        pm.Normal("y", mu=alpha + data["X"] @ beta, sigma=sigma, observed=data["y"])
    return model
