"""PyMC version of posteriordb's earnings-logearn_interaction (same posterior as model.stan)."""

import numpy as np
import pymc as pm


def build(data):
    height, male = np.asarray(data["height"], dtype=float), np.asarray(data["male"], dtype=float)
    with pm.Model() as model:
        beta = pm.Flat("beta", shape=4)
        sigma = pm.HalfFlat("sigma")
        mean = beta[0] + beta[1] * height + beta[2] * male + beta[3] * height * male
        pm.Normal("log_earn", mu=mean, sigma=sigma, observed=np.log(np.asarray(data["earn"], dtype=float)))
    return model
