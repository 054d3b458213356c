"""PyMC version of posteriordb's arma-arma11 (same posterior as model.stan)."""

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt


def build(data):
    y = np.asarray(data["y"], dtype=float)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 10.0)
        phi = pm.Normal("phi", 0.0, 2.0)
        theta = pm.Normal("theta", 0.0, 2.0)
        sigma = pm.HalfCauchy("sigma", beta=2.5)
        first = y[0] - (mu + phi * mu)
        # The parameters go in as non_sequences: PyMC replaces them by their values only there.
        rest, _ = pytensor.scan(lambda y_t, y_prev, err_prev, m, p, q: y_t - (m + p * y_prev + q * err_prev),
                                sequences=[pt.as_tensor(y[1:]), pt.as_tensor(y[:-1])], outputs_info=[first],
                                non_sequences=[mu, phi, theta])
        err = pt.concatenate([pt.stack([first]), rest])
        pm.Potential("err", pm.logp(pm.Normal.dist(0.0, sigma), err).sum())
    return model
