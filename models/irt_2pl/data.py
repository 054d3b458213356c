"""Responses of n // 2 students to K = 10 items, simulated from the 2PL model itself."""

import numpy as np

K = 10


def generate(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    J = max(2, n // 2)
    theta = rng.normal(0.0, 1.0, size=J)
    a = rng.lognormal(0.0, 0.3, size=K)
    b = rng.normal(0.0, 1.0, size=K)
    p = 1.0 / (1.0 + np.exp(-a[None, :] * (theta[:, None] - b[None, :])))
    y = (rng.uniform(size=(J, K)) < p).astype(np.int64)
    return {"J": J, "K": K, "y": y}
