"""PyMC version of the ill-conditioned Gaussian (same density as model.stan)."""

import numpy as np
import pymc as pm


def build(data):
    with pm.Model() as model:
        pm.MvNormal("x", mu=np.zeros(data["D"]), chol=data["L"])
    return model
