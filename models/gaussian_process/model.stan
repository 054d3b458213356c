// Marginal Gaussian process regression, squared-exponential kernel:
// y ~ MultiNormal(0, alpha^2 exp(-(x_i - x_j)^2 / (2 rho^2)) + (sigma^2 + 1e-9) I).
data {
  int<lower=1> N;
  array[N] real x;
  vector[N] y;
}
parameters {
  real<lower=0> rho;
  real<lower=0> alpha;
  real<lower=0> sigma;
}
model {
  matrix[N, N] K = gp_exp_quad_cov(x, alpha, rho);
  for (i in 1:N) {
    K[i, i] = K[i, i] + square(sigma) + 1e-9;
  }
  rho ~ inv_gamma(5, 5);
  alpha ~ normal(0, 2);
  sigma ~ normal(0, 1);
  y ~ multi_normal_cholesky(rep_vector(0, N), cholesky_decompose(K));
}
