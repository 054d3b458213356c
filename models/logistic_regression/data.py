"""Generated data: K standard-normal predictors, known coefficients, Bernoulli outcomes."""

import numpy as np

K = 5
TRUE_ALPHA = -0.5
TRUE_BETA = np.array([1.0, -0.75, 0.5, 0.0, 0.25])


def generate(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, K))
    p = 1.0 / (1.0 + np.exp(-(TRUE_ALPHA + X @ TRUE_BETA)))
    y = (rng.uniform(size=n) < p).astype(np.int64)
    return {"N": n, "K": K, "X": X, "y": y}
