// Linear regression: y ~ Normal(intercept + slope * x, sigma).
// Same priors and likelihood as pymc_model.py and numpyro_model.py.
data {
  int<lower=0> N;
  vector[N] x;
  vector[N] y;
}
parameters {
  real intercept;
  real slope;
  real<lower=0> sigma;
}
model {
  sigma ~ cauchy(0, 10);
  intercept ~ normal(0, 20);
  slope ~ normal(0, 20);
  y ~ normal(intercept + slope * x, sigma);
}
