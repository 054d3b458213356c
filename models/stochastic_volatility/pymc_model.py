"""PyMC version of the stochastic volatility model (same priors as model.stan).

h is one vector with the AR(1) density added as a Potential, so that all three languages
sample the same T-vector named h (PyMC's AR distribution would name and shape it differently).
"""

import pymc as pm
import pytensor.tensor as pt


def build(data):
    with pm.Model() as model:
        phi = pm.Uniform("phi", lower=-1.0, upper=1.0)
        sigma = pm.HalfCauchy("sigma", beta=5.0)
        mu = pm.Cauchy("mu", alpha=0.0, beta=10.0)
        h = pm.Flat("h", shape=data["T"])
        pm.Potential("h_first", pm.logp(pm.Normal.dist(mu=mu, sigma=sigma / pt.sqrt(1.0 - phi * phi)), h[0]))
        pm.Potential("h_rest", pm.logp(pm.Normal.dist(mu=mu + phi * (h[:-1] - mu), sigma=sigma), h[1:]).sum())
        pm.Normal("y", mu=0.0, sigma=pt.exp(h / 2.0), observed=data["y"])
    return model
