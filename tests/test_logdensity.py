"""The same model in three languages: log densities must differ only by a constant."""

from __future__ import annotations

import pytest

import models
from samplerbench import logdensity
from tests.conftest import model_variant

# Same xdist worker for every test that builds Stan models, so each model compiles once.
pytestmark = pytest.mark.xdist_group("stan_builds")


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, marks=[] if name == "linear_regression" else [pytest.mark.slow]) for name in models.names()],
)
@pytest.mark.parametrize("jacobian", [True, False], ids=["with-jacobian", "constrained"])
def test_every_model_is_the_same_in_stan_pymc_and_numpyro(name, jacobian):
    comparison = logdensity.compare(models.get(name), jacobian=jacobian)
    assert comparison.agree, comparison.explain()


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
