// A 100-dimensional Gaussian with covariance L L' (condition number 100, random axes; data.py).
// Same density as pymc_model.py and numpyro_model.py.
data {
  int<lower=1> D;
  matrix[D, D] L;
}
parameters {
  vector[D] x;
}
model {
  x ~ multi_normal_cholesky(rep_vector(0, D), L);
}
