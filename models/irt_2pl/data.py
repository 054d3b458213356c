"""Responses of n students to K = 20 items, simulated from the 2PL model itself."""

import numpy as np

K = 20


def generate(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 1.0, size=n)
    a = rng.lognormal(0.0, 0.3, size=K)
    b = rng.normal(0.0, 1.0, size=K)
    p = 1.0 / (1.0 + np.exp(-a[None, :] * (theta[:, None] - b[None, :])))
    y = (rng.uniform(size=(n, K)) < p).astype(np.int64)
    return {"J": n, "K": K, "y": y}
