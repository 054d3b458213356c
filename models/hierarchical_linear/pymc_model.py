"""PyMC version of the varying-intercepts-and-slopes model (same priors as model.stan).

``group`` is 1-based in the shared data (Stan's convention), hence the ``- 1``.
"""

import pymc as pm


def build(data):
    group = data["group"] - 1
    with pm.Model() as model:
        mu_a = pm.Normal("mu_a", mu=0.0, sigma=10.0)
        mu_b = pm.Normal("mu_b", mu=0.0, sigma=10.0)
        sigma_a = pm.HalfNormal("sigma_a", sigma=5.0)
        sigma_b = pm.HalfNormal("sigma_b", sigma=5.0)
        sigma_y = pm.HalfNormal("sigma_y", sigma=5.0)
        a_raw = pm.Normal("a_raw", mu=0.0, sigma=1.0, shape=data["J"])
        b_raw = pm.Normal("b_raw", mu=0.0, sigma=1.0, shape=data["J"])
        a = pm.Deterministic("a", mu_a + sigma_a * a_raw)
        b = pm.Deterministic("b", mu_b + sigma_b * b_raw)
        pm.Normal("y", mu=a[group] + b[group] * data["x"], sigma=sigma_y, observed=data["y"])
    return model
