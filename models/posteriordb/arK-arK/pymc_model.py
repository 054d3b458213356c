"""PyMC version of posteriordb's arK-arK (same posterior as model.stan)."""

import numpy as np
import pymc as pm


def build(data):
    K, T, y = int(data["K"]), int(data["T"]), np.asarray(data["y"], dtype=float)
    lags = np.stack([y[K - k:T - k] for k in range(1, K + 1)], axis=1)  # (T - K) x K: y[t - k]
    with pm.Model() as model:
        alpha = pm.Normal("alpha", 0.0, 10.0)
        beta = pm.Normal("beta", 0.0, 10.0, shape=K)
        sigma = pm.HalfCauchy("sigma", beta=2.5)
        pm.Normal("y", mu=alpha + pm.math.dot(lags, beta), sigma=sigma, observed=y[K:])
    return model
