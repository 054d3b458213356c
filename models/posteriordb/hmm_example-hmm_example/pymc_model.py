"""PyMC version of posteriordb's hmm_example-hmm_example (same posterior as model.stan)."""

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt


def build(data):
    y = np.asarray(data["y"], dtype=float)
    K = int(data["K"])
    with pm.Model() as model:
        # Each row of the transition matrix, a 2-simplex uniform on its first element (as model.stan).
        theta1_1 = pm.Uniform("theta1_1", 0.0, 1.0)
        theta2_1 = pm.Uniform("theta2_1", 0.0, 1.0)
        theta1 = pm.Deterministic("theta1", pt.stack([theta1_1, 1.0 - theta1_1]))
        theta2 = pm.Deterministic("theta2", pt.stack([theta2_1, 1.0 - theta2_1]))
        # Stan's positive_ordered with normal(3, 1) and normal(10, 1) on its elements.
        # mu = [mu_first, mu_first + mu_gap], both positive: Stan's positive_ordered, with the same
        # transform (log of each) in every language; normal(3, 1) and normal(10, 1) on its elements.
        mu_first = pm.HalfFlat("mu_first", initval=3.0)
        mu_gap = pm.HalfFlat("mu_gap", initval=7.0)
        mu = pm.Deterministic("mu", pt.stack([mu_first, mu_first + mu_gap]))
        pm.Potential("mu_prior", pm.logp(pm.Normal.dist(np.array([3.0, 10.0]), 1.0), mu).sum())
        log_theta = pt.log(pt.stack([theta1, theta2]))  # row j: from state j

        def emission(y_t, means):
            return -0.5 * (y_t - means) ** 2 - 0.5 * np.log(2 * np.pi)

        def forward(y_t, gamma, log_transition, means):
            return pt.logsumexp(gamma[:, None] + log_transition, axis=0) + emission(y_t, means)

        # The parameters go in as non_sequences: PyMC replaces them by their values only there.
        gammas, _ = pytensor.scan(forward, sequences=[pt.as_tensor(y[1:])], outputs_info=[emission(y[0], mu)],
                                  non_sequences=[log_theta, mu])
        pm.Potential("forward", pm.math.logsumexp(gammas[-1]))
    return model
