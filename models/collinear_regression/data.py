"""Predictors sharing one factor: x_k = f + 0.1 e_k (pairwise correlation about 0.99)."""

import numpy as np

K = 10
BETA = np.array([1.0, 0.5, 0.0, -0.5, 0.25, 0.0, 0.75, -0.25, 0.0, 0.5])


def generate(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(n, 1))
    X = factor + 0.1 * rng.normal(size=(n, K))
    y = 0.5 + X @ BETA + rng.normal(0.0, 1.0, size=n)
    return {"N": n, "K": K, "X": X, "y": y}
