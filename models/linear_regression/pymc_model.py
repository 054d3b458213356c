"""PyMC version of the linear regression (same priors as model.stan)."""

import pymc as pm


def build(data):
    with pm.Model() as model:
        sigma = pm.HalfCauchy("sigma", beta=10.0)
        intercept = pm.Normal("intercept", mu=0.0, sigma=20.0)
        slope = pm.Normal("slope", mu=0.0, sigma=20.0)
        pm.Normal("y", mu=intercept + slope * data["x"], sigma=sigma, observed=data["y"])
    return model
