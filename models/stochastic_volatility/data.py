"""A series from the stochastic volatility model itself: mu = -1, phi = 0.95, sigma = 0.25."""

import numpy as np


def generate(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    mu, phi, sigma = -1.0, 0.95, 0.25
    h = np.empty(n)
    h[0] = mu + rng.normal(0.0, sigma / np.sqrt(1.0 - phi**2))
    for t in range(1, n):
        h[t] = mu + phi * (h[t - 1] - mu) + rng.normal(0.0, sigma)
    y = rng.normal(0.0, np.exp(h / 2.0))
    return {"T": n, "y": y}
