"""NumPyro version of posteriordb's nes1972-nes (same posterior as model.stan)."""

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints


def model(data):
    age = np.asarray(data["age_discrete"])
    columns = [np.ones(len(age)), data["real_ideo"], data["race_adj"], age == 2, age == 3, age == 4,
               data["educ1"], data["gender"], data["income"]]
    X = jnp.asarray(np.stack([np.asarray(c, dtype=float) for c in columns], axis=1))
    beta = numpyro.sample("beta", dist.ImproperUniform(constraints.real, (), (9,)))
    sigma = numpyro.sample("sigma", dist.ImproperUniform(constraints.positive, (), ()))
    numpyro.sample("partyid7", dist.Normal(X @ beta, sigma), obs=data["partyid7"])
