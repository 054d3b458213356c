"""The covariance of the ill-conditioned Gaussian: Σ = Q diag(λ) Qᵀ with λ log-spaced from 1 to
100 (condition number 100) and Q a random rotation (from the data seed; QR of a Gaussian matrix,
signs fixed so Q is uniform on the orthogonal group). The models read its Cholesky factor.

Every moment the accuracy score and the error trace need is exact (``exact_moments``):
x_i ~ N(0, Σ_ii), so E[x_i] = 0, sd = √Σ_ii, E[x_i²] = Σ_ii and Var[x_i²] = 2 Σ_ii².
``n`` is ignored: the dimension is fixed.
"""

import numpy as np

DIMENSION = 100
CONDITION_NUMBER = 100.0


def covariance(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.normal(size=(DIMENSION, DIMENSION)))
    q = q * np.sign(np.diag(r))[None, :]
    eigenvalues = np.geomspace(1.0, CONDITION_NUMBER, DIMENSION)
    sigma = (q * eigenvalues[None, :]) @ q.T
    return (sigma + sigma.T) / 2


def generate(n: int, seed: int) -> dict:
    return {"D": DIMENSION, "L": np.linalg.cholesky(covariance(seed))}


def exact_moments(data: dict) -> dict:
    """Per element x[i]: mean, sd, E[x²] and sd of x², exactly (Monte Carlo errors 0)."""
    lower = np.asarray(data["L"], dtype=float)
    variances = np.einsum("ij,ij->i", lower, lower)  # diag(L Lᵀ) = Σ_ii
    return {f"x[{i}]": {"mean": 0.0, "sd": float(np.sqrt(v)), "mcse_mean": 0.0, "mcse_sd": 0.0,
                        "mean_x2": float(v), "sd_x2": float(np.sqrt(2.0) * v), "mcse_mean_x2": 0.0}
            for i, v in enumerate(variances)}
