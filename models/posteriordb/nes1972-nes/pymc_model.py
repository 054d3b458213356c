"""PyMC version of posteriordb's nes1972-nes (same posterior as model.stan)."""

import numpy as np
import pymc as pm


def design(data):
    age = np.asarray(data["age_discrete"])
    columns = [np.ones(len(age)), data["real_ideo"], data["race_adj"], age == 2, age == 3, age == 4,
               data["educ1"], data["gender"], data["income"]]
    return np.stack([np.asarray(c, dtype=float) for c in columns], axis=1)


def build(data):
    X = design(data)
    with pm.Model() as model:
        beta = pm.Flat("beta", shape=9)
        sigma = pm.HalfFlat("sigma")
        pm.Normal("partyid7", mu=pm.math.dot(X, beta), sigma=sigma, observed=data["partyid7"])
    return model
