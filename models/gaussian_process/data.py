"""Noisy draws of sin(x) on [0, 10]. The GP costs O(N^3) per gradient, so N = min(n, 100)."""

import numpy as np

MAX_POINTS = 100


def generate(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    N = int(min(n, MAX_POINTS))
    x = np.sort(rng.uniform(0.0, 10.0, size=N))
    y = np.sin(x) + rng.normal(0.0, 0.3, size=N)
    return {"N": N, "x": x, "y": y}
