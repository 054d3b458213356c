"""PyMC version of the 36-dimensional Rosenbrock density (same density as model.stan)."""

import numpy as np
import pymc as pm


def build(data):
    with pm.Model() as model:
        x = pm.Normal("x", mu=1.0, sigma=1.0, shape=data["D"])
        pm.Normal("y", mu=x ** 2, sigma=np.sqrt(data["Q"]), shape=data["D"])
    return model
