"""PyMC version of posteriordb's low_dim_gauss_mix-low_dim_gauss_mix (same posterior as model.stan)."""

import numpy as np
import pymc as pm
import pytensor.tensor as pt


def build(data):
    y = np.asarray(data["y"], dtype=float)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 2.0, shape=2, transform=pm.distributions.transforms.ordered,
                       initval=np.array([-1.0, 1.0]))
        sigma = pm.HalfNormal("sigma", sigma=2.0, shape=2)
        theta = pm.Beta("theta", 5.0, 5.0)
        pm.Mixture("y", w=pt.stack([theta, 1.0 - theta]), comp_dists=pm.Normal.dist(mu=mu, sigma=sigma),
                   observed=y)
    return model
