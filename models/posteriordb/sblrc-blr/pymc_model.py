"""PyMC version of posteriordb's sblrc-blr (same posterior as model.stan)."""

import numpy as np
import pymc as pm


def build(data):
    X = np.asarray(data["X"], dtype=float)
    with pm.Model() as model:
        beta = pm.Normal("beta", 0.0, 10.0, shape=int(data["D"]))
        sigma = pm.HalfNormal("sigma", sigma=10.0)
        pm.Normal("y", mu=pm.math.dot(X, beta), sigma=sigma, observed=data["y"])
    return model
