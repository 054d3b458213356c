"""PyMC version of posteriordb's garch-garch11 (same posterior as model.stan)."""

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt


def build(data):
    y = np.asarray(data["y"], dtype=float)
    with pm.Model() as model:
        mu = pm.Flat("mu")
        alpha0 = pm.HalfFlat("alpha0")
        alpha1 = pm.Uniform("alpha1", 0.0, 1.0)
        beta1 = pm.Uniform("beta1", 0.0, 1.0 - alpha1)
        # Stan's beta1 is flat on (0, 1 - alpha1); the Uniform's density 1 / (1 - alpha1) is undone.
        pm.Potential("flat_beta1", pt.log1p(-alpha1))
        # The parameters go in as non_sequences: PyMC replaces them by their values only there.
        rest, _ = pytensor.scan(
            lambda y_prev, s_prev, m, a0, a1, b1: pt.sqrt(a0 + a1 * (y_prev - m) ** 2 + b1 * s_prev ** 2),
            sequences=[pt.as_tensor(y[:-1])], outputs_info=[pt.as_tensor(np.float64(data["sigma1"]))],
            non_sequences=[mu, alpha0, alpha1, beta1])
        sigma = pt.concatenate([pt.stack([pt.as_tensor(np.float64(data["sigma1"]))]), rest])
        pm.Normal("y", mu=mu, sigma=sigma, observed=y)
    return model
