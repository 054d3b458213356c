// Two-state HMM, forward algorithm (posteriordb's hmm_example, written here). Each transition
// row is a 2-simplex, written as its first element, uniform on (0, 1): the same prior as a
// uniform simplex, with one transform (logit) in every language of this model.
data {
  int<lower=0> N;
  int<lower=2, upper=2> K;
  vector[N] y;
}
parameters {
  real<lower=0, upper=1> theta1_1;
  real<lower=0, upper=1> theta2_1;
  real<lower=0> mu_first;  // mu = [mu_first, mu_first + mu_gap]': Stan's positive_ordered, written
  real<lower=0> mu_gap;    // out so that every language has the same transform (log of each)
}
transformed parameters {
  positive_ordered[K] mu = [mu_first, mu_first + mu_gap]';
  vector[K] theta1 = [theta1_1, 1 - theta1_1]';
  vector[K] theta2 = [theta2_1, 1 - theta2_1]';
}
model {
  matrix[K, K] log_theta = log(append_row(theta1', theta2'));  // row j: from state j
  vector[K] gamma;
  mu[1] ~ normal(3, 1);
  mu[2] ~ normal(10, 1);
  for (k in 1:K) {
    gamma[k] = normal_lpdf(y[1] | mu[k], 1);
  }
  for (t in 2:N) {
    vector[K] next;
    for (k in 1:K) {
      next[k] = log_sum_exp(gamma + col(log_theta, k)) + normal_lpdf(y[t] | mu[k], 1);
    }
    gamma = next;
  }
  target += log_sum_exp(gamma);
}
