// Radon-like varying intercepts and slopes, non-centred:
// y[i] ~ Normal(a[g[i]] + b[g[i]] * x[i], sigma_y), a = mu_a + sigma_a * a_raw, b likewise.
data {
  int<lower=1> N;
  int<lower=1> J;
  array[N] int<lower=1, upper=J> group;
  vector[N] x;
  vector[N] y;
}
parameters {
  real mu_a;
  real mu_b;
  real<lower=0> sigma_a;
  real<lower=0> sigma_b;
  real<lower=0> sigma_y;
  vector[J] a_raw;
  vector[J] b_raw;
}
transformed parameters {
  vector[J] a = mu_a + sigma_a * a_raw;
  vector[J] b = mu_b + sigma_b * b_raw;
}
model {
  mu_a ~ normal(0, 10);
  mu_b ~ normal(0, 10);
  sigma_a ~ normal(0, 5);
  sigma_b ~ normal(0, 5);
  sigma_y ~ normal(0, 5);
  a_raw ~ normal(0, 1);
  b_raw ~ normal(0, 1);
  y ~ normal(a[group] + b[group] .* x, sigma_y);
}
