// The 36-dimensional Rosenbrock density (18 pairs; data.py). Same density as pymc_model.py and
// numpyro_model.py.
data {
  int<lower=1> D;
  real<lower=0> Q;
}
parameters {
  vector[D] x;
  vector[D] y;
}
model {
  x ~ normal(1, 1);
  y ~ normal(square(x), sqrt(Q));
}
