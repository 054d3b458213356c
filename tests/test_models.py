"""Model discovery and the shared data generator."""

import numpy as np
import pytest

import models


def test_linear_regression_is_discovered_with_all_three_languages():
    spec = models.get("linear_regression")
    for name in models.REQUIRED_FILES:
        assert (spec.folder / name).exists(), name
    assert spec.parameters == ("intercept", "slope", "sigma")
    for param in spec.parameters:
        assert param in spec.stan_code()


def test_data_is_the_same_for_every_backend():
    spec = models.get("linear_regression")
    a, b = spec.generate_data(500), spec.generate_data(500)
    assert a["N"] == 500 and a["x"].shape == (500,)
    np.testing.assert_array_equal(a["y"], b["y"])
    slope, intercept = np.polyfit(a["x"], a["y"], 1)
    assert abs(slope - 2) < 0.3 and abs(intercept - 1) < 0.2


def test_unknown_model_lists_valid_ones():
    with pytest.raises(models.UnknownModelError, match="linear_regression"):
        models.get("nope")


def test_model_hash_changes_with_any_file_of_the_folder(tmp_path):
    from tests.conftest import model_variant

    same = models.load_folder(model_variant(tmp_path / "a"))
    edited = models.load_folder(model_variant(tmp_path / "b", "model.stan", "normal(0, 20)", "normal(0, 21)"))
    assert same.files_sha256() == models.get("linear_regression").files_sha256()
    assert edited.files_sha256() != same.files_sha256()
