// AR(K) (posteriordb's arK, written here): the first K points are conditioned on.
data {
  int<lower=0> K;
  int<lower=0> T;
  vector[T] y;
}
parameters {
  real alpha;
  vector[K] beta;
  real<lower=0> sigma;
}
model {
  vector[T - K] mean_t = rep_vector(alpha, T - K);
  for (k in 1:K) {
    mean_t += beta[k] * y[(K + 1 - k):(T - k)];
  }
  alpha ~ normal(0, 10);
  beta ~ normal(0, 10);
  sigma ~ cauchy(0, 2.5);
  y[(K + 1):T] ~ normal(mean_t, sigma);
}
