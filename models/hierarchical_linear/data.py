"""A radon-like data set: houses in counties, log radon vs floor (0 = basement, 1 = first).

The number of counties grows with n (about 25 houses per county, between 4 and 85 counties,
85 as in the Minnesota radon data); county sizes are uneven, like the real data.
"""

import numpy as np


def generate(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    J = int(min(85, max(4, n // 25)))
    weights = rng.gamma(1.0, 1.0, size=J)
    group = rng.choice(J, size=n, p=weights / weights.sum())
    group[:J] = np.arange(J) if n >= J else group[:J]  # every county has at least one house
    a = rng.normal(1.5, 0.3, size=J)
    b = rng.normal(-0.7, 0.2, size=J)
    x = (rng.uniform(size=n) < 0.2).astype(float)
    y = a[group] + b[group] * x + rng.normal(0.0, 0.75, size=n)
    return {"N": n, "J": J, "group": (group + 1).astype(np.int64), "x": x, "y": y}
