"""PyMC version of posteriordb's gp_pois_regr-gp_pois_regr (same posterior as model.stan)."""

import numpy as np
import pymc as pm
import pytensor.tensor as pt


def build(data):
    x = np.asarray(data["x"], dtype=float)
    sq_dist = (x[:, None] - x[None, :]) ** 2
    n = int(data["N"])
    with pm.Model() as model:
        rho = pm.Gamma("rho", alpha=25.0, beta=4.0)
        alpha = pm.HalfNormal("alpha", sigma=2.0)
        f_tilde = pm.Normal("f_tilde", 0.0, 1.0, shape=n)
        cov = alpha**2 * pt.exp(-0.5 * sq_dist / rho**2) + 1e-10 * np.eye(n)
        f = pm.Deterministic("f", pt.dot(pt.linalg.cholesky(cov), f_tilde))
        pm.Poisson("k", mu=pt.exp(f), observed=data["k"])
    return model
