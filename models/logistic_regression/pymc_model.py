"""PyMC version of the logistic regression (same priors as model.stan)."""

import pymc as pm


def build(data):
    with pm.Model() as model:
        alpha = pm.Normal("alpha", mu=0.0, sigma=2.5)
        beta = pm.Normal("beta", mu=0.0, sigma=2.5, shape=data["K"])
        pm.Bernoulli("y", logit_p=alpha + data["X"] @ beta, observed=data["y"])
    return model
