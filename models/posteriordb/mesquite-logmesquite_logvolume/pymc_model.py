"""PyMC version of posteriordb's mesquite-logmesquite_logvolume (same posterior as model.stan)."""

import numpy as np
import pymc as pm


def build(data):
    volume = np.asarray(data["diam1"], dtype=float) * np.asarray(data["diam2"]) * np.asarray(data["canopy_height"])
    with pm.Model() as model:
        beta = pm.Flat("beta", shape=2)
        sigma = pm.HalfFlat("sigma")
        pm.Normal("log_weight", mu=beta[0] + beta[1] * np.log(volume), sigma=sigma,
                  observed=np.log(np.asarray(data["weight"], dtype=float)))
    return model
