"""Every model in models/: a tiny sampling run per language, and the check command's verdicts."""

from __future__ import annotations

import pytest

import models
from samplerbench.tools.check import check
from tests.conftest import model_variant, tiny_run

# Tests that build Stan models share one xdist worker (and its session cache), so each model
# compiles once; the others spread over the workers.
STAN_BUILDS = pytest.mark.xdist_group("stan_builds")

ONE_BACKEND_PER_LANGUAGE = {"stan": "pystan", "pymc": "pymc", "numpyro": "numpyro"}
# The reference model runs in the lean default; the others (a Stan build each) are marked slow
# and run in `make test` / CI.
MODEL_PARAMS = [pytest.param(name, marks=[] if name == "linear_regression" else [pytest.mark.slow])
                for name in models.names()]


@pytest.mark.parametrize(
    "language",
    [pytest.param(lang, marks=[STAN_BUILDS] if lang == "stan" else []) for lang in sorted(ONE_BACKEND_PER_LANGUAGE)],
)
@pytest.mark.parametrize("name", MODEL_PARAMS)
def test_every_model_samples_in_every_language(name, language, availability, shared_cache):
    sampler = ONE_BACKEND_PER_LANGUAGE[language]
    if availability[sampler]:
        pytest.skip(availability[sampler])
    record = tiny_run(sampler, model=name, n=40, cache_dir=shared_cache / sampler)
    assert record["status"] == "ok", record.get("reason")
    spec = models.get(name)
    reported = {key.split("[")[0] for key in record["posterior"]}
    assert reported == set(spec.parameters), (reported, spec.parameters)
    assert record["grad_evals"] > 0


def test_models_are_discovered_from_the_folder():
    names = models.names()
    for expected in ("linear_regression", "eight_schools", "logistic_regression", "hierarchical_linear",
                     "gaussian_process"):
        assert expected in names
    for name in names:
        assert models.get(name).n_meaning, name


@STAN_BUILDS
def test_check_compares_the_two_languages_a_folder_without_numpyro_has(tmp_path):
    """Without a NumPyro version the points come from PyMC; Stan and PyMC are still compared,
    and a prior changed in one of them is still caught and named."""
    folder = model_variant(tmp_path / "same")
    (folder / "numpyro_model.py").unlink()
    result = check(str(folder), sample=False, log=lambda *_: None)
    assert result.ok, result.problems
    assert "parameter names match across stan, pymc" in result.passed
    assert "log densities with the log-Jacobian differ by a constant in every pair" in result.passed
    changed = model_variant(tmp_path / "changed", "pymc_model.py", "beta=10.0", "beta=1.0")
    (changed / "numpyro_model.py").unlink()
    result = check(str(changed), sample=False, log=lambda *_: None)
    assert not result.ok
    assert any("do not differ by a constant" in p and "pymc - stan" in p for p in result.problems), result.problems


def test_check_rejects_a_folder_without_any_model_file(tmp_path):
    folder = tmp_path / "empty_model"
    folder.mkdir()
    (folder / "info.json").write_text("{}")
    result = check(str(folder), sample=False, log=lambda *_: None)
    assert not result.ok
    assert any("has no model file" in p and "pymc_model.py" in p for p in result.problems), result.problems


@STAN_BUILDS
def test_check_rejects_parameter_names_that_differ(tmp_path):
    folder = model_variant(tmp_path, "pymc_model.py", 'pm.Normal("slope"', 'pm.Normal("beta"')
    result = check(str(folder), sample=False, log=lambda *_: None)
    assert not result.ok
    assert any("sampled parameters differ" in p and "beta" in p for p in result.problems), result.problems


@STAN_BUILDS
def test_check_rejects_log_densities_that_disagree(tmp_path):
    folder = model_variant(tmp_path, "numpyro_model.py", "dist.HalfCauchy(10.0)", "dist.HalfCauchy(1.0)")
    result = check(str(folder), sample=False, log=lambda *_: None)
    assert not result.ok
    assert any("do not differ by a constant" in p and "numpyro - stan" in p for p in result.problems)


@STAN_BUILDS
def test_check_passes_a_correct_model_with_tiny_runs():
    result = check("linear_regression", samplers_to_run=["numpyro", "pymc-numpyro"], log=lambda *_: None)
    assert result.ok, result.problems
    assert any("agree on the posterior means" in p for p in result.passed)


def test_an_approximate_row_that_differs_is_said_not_a_problem_of_the_model():
    """On the Rosenbrock density Pathfinder's normal approximation misses the curved ridge (its means
    of y were 0.0–1.3 against 2 in a tiny run): the check says so and passes (NumPyro's NUTS, the
    one MCMC witness, has nobody to disagree with). Each tiny run has a random seed, and two chains of
    200 draws do not always show the difference (a fresh-clone suite once saw none): up to three
    checks, each of which must find no problem, until one says Pathfinder differs."""
    from samplerbench.tools.check import CheckResult, check_sampling

    said = "pathfinder (approximate) differs from the MCMC rows"
    for _ in range(3):
        result = CheckResult("rosenbrock")
        problems = check_sampling(models.get("rosenbrock"), 50, ["numpyro", "pathfinder"], result,
                                  log=lambda *_: None)
        assert problems == [], problems
        if any(line.startswith(said) for line in result.passed):
            break
    assert any(line.startswith(said) for line in result.passed), result.passed
    assert any("agree on the posterior means" in line for line in result.passed), result.passed
