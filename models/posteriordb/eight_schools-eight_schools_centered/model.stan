// Eight schools (Rubin 1981), centred: theta ~ normal(mu, tau). Same posterior as
// ../eight_schools (non-centred), a harder geometry: the funnel between tau and theta.
data {
  int<lower=0> J;
  vector[J] y;
  vector<lower=0>[J] sigma;
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[J] theta;
}
model {
  mu ~ normal(0, 5);
  tau ~ cauchy(0, 5);
  theta ~ normal(mu, tau);
  y ~ normal(theta, sigma);
}
