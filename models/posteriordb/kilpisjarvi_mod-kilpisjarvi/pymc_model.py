"""PyMC version of posteriordb's kilpisjarvi_mod-kilpisjarvi (same posterior as model.stan)."""

import numpy as np
import pymc as pm


def build(data):
    with pm.Model() as model:
        alpha = pm.Normal("alpha", float(data["pmualpha"]), float(data["psalpha"]))
        beta = pm.Normal("beta", float(data["pmubeta"]), float(data["psbeta"]))
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", mu=alpha + beta * np.asarray(data["x"], dtype=float), sigma=sigma, observed=data["y"])
    return model
