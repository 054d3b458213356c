"""NumPyro version of the varying-intercepts-and-slopes model (same priors as model.stan).

``group`` is 1-based in the shared data (Stan's convention), hence the ``- 1``.
"""

import numpyro
import numpyro.distributions as dist


def model(data):
    group = data["group"] - 1
    mu_a = numpyro.sample("mu_a", dist.Normal(0.0, 10.0))
    mu_b = numpyro.sample("mu_b", dist.Normal(0.0, 10.0))
    sigma_a = numpyro.sample("sigma_a", dist.HalfNormal(5.0))
    sigma_b = numpyro.sample("sigma_b", dist.HalfNormal(5.0))
    sigma_y = numpyro.sample("sigma_y", dist.HalfNormal(5.0))
    with numpyro.plate("groups", data["J"]):
        a_raw = numpyro.sample("a_raw", dist.Normal(0.0, 1.0))
        b_raw = numpyro.sample("b_raw", dist.Normal(0.0, 1.0))
    a = numpyro.deterministic("a", mu_a + sigma_a * a_raw)
    b = numpyro.deterministic("b", mu_b + sigma_b * b_raw)
    with numpyro.plate("obs", data["N"]):
        numpyro.sample("y", dist.Normal(a[group] + b[group] * data["x"], sigma_y), obs=data["y"])
