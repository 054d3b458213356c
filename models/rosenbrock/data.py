"""The 36-dimensional Rosenbrock density of the MCHMC and MAMS papers' benchmark set (Robnik et
al. 2023, "Microcanonical Hamiltonian Monte Carlo", d = 36, Q = 0.1): 18 independent pairs,
x ~ N(1, 1), y | x ~ N(x², Q). No data but its two constants; ``n`` is ignored.

Every moment the accuracy score and the error trace need is exact (``exact_moments``), from the
raw moments of N(1, 1) (E[x^k] = Σ_j C(k, 2j) (2j − 1)!!: 1, 2, 4, 10, 26, 76, 232, 764) and
y = x² + √Q z with z ~ N(0, 1) independent of x:
E[y] = E[x²] = 2, Var[y] = Var[x²] + Q = 6 + Q, E[y²] = E[x⁴] + Q = 10 + Q,
E[y⁴] = E[x⁸] + 6 Q E[x⁴] + 3 Q² = 764 + 60 Q + 3 Q².
"""

import math

import numpy as np

PAIRS = 18
Q = 0.1


def generate(n: int, seed: int) -> dict:
    return {"D": PAIRS, "Q": Q}


def normal_moment(k: int, mean: float = 1.0) -> float:
    """E[x^k] for x ~ N(mean, 1)."""
    return sum(math.comb(k, 2 * j) * mean ** (k - 2 * j) * _double_factorial(2 * j - 1) for j in range(k // 2 + 1))


def _double_factorial(m: int) -> int:
    return math.prod(range(m, 0, -2)) if m > 0 else 1


def exact_moments(data: dict) -> dict:
    """Per element x[i] and y[i]: mean, sd, E[f²] and sd of f², exactly (Monte Carlo errors 0)."""
    q = float(data["Q"])
    x1, x2, x4, x8 = (normal_moment(k) for k in (1, 2, 4, 8))
    y1, y2, y4 = x2, x4 + q, x8 + 6 * q * x4 + 3 * q ** 2
    x_moments = {"mean": x1, "sd": math.sqrt(x2 - x1 ** 2), "mean_x2": x2, "sd_x2": math.sqrt(x4 - x2 ** 2)}
    y_moments = {"mean": y1, "sd": math.sqrt(y2 - y1 ** 2), "mean_x2": y2, "sd_x2": math.sqrt(y4 - y2 ** 2)}
    exact = {"mcse_mean": 0.0, "mcse_sd": 0.0, "mcse_mean_x2": 0.0}
    out = {}
    for name, moments in (("x", x_moments), ("y", y_moments)):
        for i in range(int(data["D"])):
            out[f"{name}[{i}]"] = {**moments, **exact}
    return {key: {k: float(v) for k, v in value.items()} for key, value in out.items()}
