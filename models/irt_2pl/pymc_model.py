"""PyMC version of the 2PL IRT model (same priors as model.stan)."""

import pymc as pm


def build(data):
    with pm.Model() as model:
        mu_b = pm.Normal("mu_b", mu=0.0, sigma=5.0)
        sigma_b = pm.HalfNormal("sigma_b", sigma=2.0)
        a = pm.LogNormal("a", mu=0.0, sigma=0.5, shape=data["K"])
        b = pm.Normal("b", mu=mu_b, sigma=sigma_b, shape=data["K"])
        theta = pm.Normal("theta", mu=0.0, sigma=1.0, shape=data["J"])
        pm.Bernoulli("y", logit_p=a[None, :] * (theta[:, None] - b[None, :]), observed=data["y"])
    return model
