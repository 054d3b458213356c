"""PyMC version of posteriordb's kidiq-kidscore_momiq (same posterior as model.stan)."""

import numpy as np
import pymc as pm


def build(data):
    with pm.Model() as model:
        beta = pm.Flat("beta", shape=2)
        sigma = pm.HalfCauchy("sigma", beta=2.5)
        mom_iq = np.asarray(data["mom_iq"], dtype=float)
        pm.Normal("kid_score", mu=beta[0] + beta[1] * mom_iq, sigma=sigma, observed=data["kid_score"])
    return model
