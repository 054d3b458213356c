// Two-parameter logistic IRT: y[j, k] ~ bernoulli_logit(a[k] * (theta[j] - b[k])).
data {
  int<lower=1> J;
  int<lower=1> K;
  array[J, K] int<lower=0, upper=1> y;
}
parameters {
  real mu_b;
  real<lower=0> sigma_b;
  vector<lower=0>[K] a;
  vector[K] b;
  vector[J] theta;
}
model {
  mu_b ~ normal(0, 5);
  sigma_b ~ normal(0, 2);
  a ~ lognormal(0, 0.5);
  b ~ normal(mu_b, sigma_b);
  theta ~ std_normal();
  for (k in 1:K) {
    y[:, k] ~ bernoulli_logit(a[k] * (theta - b[k]));
  }
}
