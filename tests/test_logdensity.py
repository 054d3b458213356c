"""The same model in three languages: log densities must differ only by a constant."""

from __future__ import annotations

import pytest

import models
from samplerbench.tools import gradients as gradient_check, logdensity
from tests.conftest import model_variant

# Same xdist worker for every test that builds Stan models, so each model compiles once.
pytestmark = pytest.mark.xdist_group("stan_builds")


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, marks=[] if name == "linear_regression" else [pytest.mark.slow]) for name in models.names()],
)
def test_every_model_is_the_same_in_stan_pymc_and_numpyro(name):
    """Log densities with and without the log-Jacobian, and the gradients (of the density with
    it): one test per model, so each model's Stan program is looked up once (it was two tests
    per model, the second mostly paying for the first one's setup again)."""
    spec = models.get(name)
    for jacobian in (True, False):
        comparison = logdensity.compare(spec, jacobian=jacobian)
        assert comparison.agree, comparison.explain()
    gradients = gradient_check.compare_gradients(spec)
    assert gradients.agree, gradients.explain()
    assert gradients.agrees  # every sampled parameter was compared (none unmapped)


def _variant(tmp_path, filename, old, new):
    return models.load_folder(model_variant(tmp_path, filename, old, new))


def test_a_changed_prior_scale_in_pymc_is_caught(tmp_path):
    spec = _variant(tmp_path, "pymc_model.py", 'pm.Normal("slope", mu=0.0, sigma=20.0)',
                    'pm.Normal("slope", mu=0.0, sigma=2.0)')
    comparison = logdensity.compare(spec, languages=("stan", "pymc", "numpyro"))
    assert not comparison.agree
    assert "pymc - stan" in comparison.explain() and "numpyro - stan" not in comparison.explain()


def test_a_wrong_likelihood_in_stan_is_caught(tmp_path):
    spec = _variant(tmp_path, "model.stan", "y ~ normal(intercept + slope * x, sigma);",
                    "y ~ student_t(5, intercept + slope * x, sigma);")
    comparison = logdensity.compare(spec, jacobian=False)
    assert not comparison.agree
    assert "pymc - stan" in comparison.explain() and "numpyro - stan" in comparison.explain()


def test_a_changed_prior_fails_the_gradient_check_and_names_the_language_and_parameter(tmp_path):
    """Issue 12: a PyMC prior on beta changed from 2.5 to 5 must fail the gradient check as it
    fails the value check, and both must say that PyMC alone differs; the gradient check must
    name beta (and only beta: alpha's partial derivatives are the same in every language)."""
    spec = models.load_folder(model_variant(
        tmp_path, "pymc_model.py", 'pm.Normal("beta", mu=0.0, sigma=2.5', 'pm.Normal("beta", mu=0.0, sigma=5.0',
        name="logistic_regression"))
    values = logdensity.compare(spec)
    assert not values.agree and values.culprit() == "pymc", values.explain()
    assert "pymc differs from numpyro and stan, which agree" in values.explain()
    gradients = gradient_check.compare_gradients(spec)
    assert not gradients.agree
    assert gradients.culprits() == {"pymc": ["beta"]}, gradients.explain()
    assert "pymc differs from numpyro and stan" in gradients.explain() and "'beta'" in gradients.explain()
    assert gradients.agrees["alpha"] == {pair: True for pair in gradients.agrees["alpha"]}


def test_odd_one_out_needs_two_that_agree():
    agree = {("stan", "pymc"): False, ("stan", "numpyro"): True, ("pymc", "numpyro"): False}
    assert logdensity.odd_one_out(agree) == "pymc"
    assert logdensity.odd_one_out({**agree, ("stan", "numpyro"): False}) is None  # all differ: nobody
    assert logdensity.odd_one_out({("stan", "pymc"): False}) is None  # two languages cannot say which


def test_a_parameter_with_another_transform_is_named_not_compared(tmp_path):
    """PyMC's sigma left untransformed (its unconstrained value is sigma, Stan's and NumPyro's
    is log sigma): its partial derivatives cannot be matched, and the check says so by name."""
    spec = _variant(tmp_path, "pymc_model.py", 'pm.HalfCauchy("sigma", beta=10.0)',
                    'pm.HalfCauchy("sigma", beta=10.0, default_transform=None)')
    gradients = gradient_check.compare_gradients(spec)
    assert not gradients.agree
    assert set(gradients.unmapped) == {"sigma"}, gradients.unmapped
    assert "cannot compare the gradient of 'sigma'" in gradients.explain()
    assert "different unconstrained values" in gradients.explain()
    assert set(gradients.agrees) == {"intercept", "slope"}  # the others are still compared
