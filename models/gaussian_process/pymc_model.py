"""PyMC version of the marginal GP (same kernel and priors as model.stan)."""

import numpy as np
import pymc as pm
import pytensor.tensor as pt


def build(data):
    x = np.asarray(data["x"], dtype=float)
    sq_dist = (x[:, None] - x[None, :]) ** 2
    with pm.Model() as model:
        rho = pm.InverseGamma("rho", alpha=5.0, beta=5.0)
        alpha = pm.HalfNormal("alpha", sigma=2.0)
        sigma = pm.HalfNormal("sigma", sigma=1.0)
        cov = alpha**2 * pt.exp(-0.5 * sq_dist / rho**2) + (sigma**2 + 1e-9) * pt.eye(data["N"])
        pm.MvNormal("y", mu=np.zeros(data["N"]), cov=cov, observed=data["y"])
    return model
