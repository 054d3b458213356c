"""Data generator shared by all three languages: x on [0, 1], y = 1 + 2 x + N(0, 0.5)."""

import numpy as np


def generate(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 1.0, n)
    y = 1.0 + 2.0 * x + rng.normal(0.0, 0.5, size=n)
    return {"N": n, "x": x, "y": y}
