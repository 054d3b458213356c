"""Correct, not just consistent (issue 12): reference posteriors and the accuracy of each run.

The references are real long-ish PyStan runs (shortened here by setting the definition's
numbers lower), and the scored runs are real tiny runs of real backends.
"""

from __future__ import annotations

import json

import pytest

import models
from samplerbench.analysis import accuracy, statistics
from samplerbench.tools import reference
from samplerbench.views.report import write_report
from samplerbench.analysis.statistics import summarize
from samplerbench.analysis.verdict import fastest_to_ess
from tests.conftest import TINY_N, model_variant, tiny_run

# In-process PyStan builds share the Stan worker (one httpstan cache: linear_regression builds once).
pytestmark = pytest.mark.xdist_group("stan_builds")


def _short_definition(monkeypatch, iterations: int, min_ess: int) -> None:
    """The definition's numbers, made small enough for a test (the code path is the real one)."""
    monkeypatch.setattr(reference, "CHAINS", 4)
    monkeypatch.setattr(reference, "WARMUP", 300)
    monkeypatch.setattr(reference, "ITERATIONS", iterations)
    monkeypatch.setattr(reference, "THIN", 1)
    monkeypatch.setattr(reference, "MIN_ESS", min_ess)


def test_a_reference_that_fails_the_definition_is_not_written_and_says_why(tmp_path, monkeypatch):
    spec = models.load_folder(model_variant(tmp_path))
    (spec.folder / "references" / f"n{TINY_N}.json").unlink(missing_ok=True)  # the copy's committed one
    _short_definition(monkeypatch, iterations=100, min_ess=1000)  # 400 draws cannot give ESS 1000
    outcome = reference.compute(spec, TINY_N, log=lambda *_: None)
    assert outcome.refused and not outcome.path.exists()
    assert any("ESS ≥ 1000 fails" in why for why in outcome.refused), outcome.refused


def test_criteria_name_what_failed():
    good = {"rhat": 1.001, "ess_bulk": 5000.0, "ess_tail": 5000.0}
    assert reference.criteria_failed({"mu": good}, divergences=0) == []
    failed = reference.criteria_failed({"mu": good, "tau": {**good, "rhat": 1.05}}, divergences=3)
    assert any("R-hat < 1.01 fails for 1 parameter(s), worst tau" in f for f in failed), failed
    assert any("3 divergent transitions" in f for f in failed), failed


def test_runs_are_scored_against_the_reference_and_a_biased_backend_never_wins(tmp_path, monkeypatch):
    """A reference from real PyStan runs of a copy of the linear regression; a tiny NumPyro run
    of the same model is accurate, a NumPyro version with a prior that pulls the slope to 0
    (same data, so the same reference applies) is biased, is named as such by the verdict
    instead of winning, and the report's posterior table and CSV show both beside the reference."""
    folder = model_variant(tmp_path / "good")
    spec = models.load_folder(folder)
    # ESS ≥ 8 000 in the reference and 4 × 8 000 draws in the run: their combined MCSE is about
    # 0.017 sd (measured), so "error + 2 MCSE ≤ 0.1 sd" fails by chance only past 4 MCSE. With 2 000
    # iterations and ESS 1 000 it was 0.025 sd, and a CI machine's chains drew a 2-MCSE error
    # (0.05 sd) that read "inconclusive" (exactly what the scorer should say of such a pair).
    _short_definition(monkeypatch, iterations=8000, min_ess=8000)
    outcome = reference.compute(spec, TINY_N, log=lambda *_: None)
    assert not outcome.refused, outcome.refused
    written = json.loads(outcome.path.read_text())
    assert written["data_sha256"] == models.data_sha256(spec.generate_data(TINY_N))
    assert {"slope", "intercept", "sigma"} <= set(written["parameters"])
    assert {"mean", "sd", "q5", "q50", "q95", "mcse_mean", "mcse_sd", "mcse_q5"} <= set(written["parameters"]["slope"])
    # The reference is a result about the model, not part of it: the model's digest is unchanged.
    assert spec.files_sha256() == models.get("linear_regression").files_sha256()

    # R-hat ≤ 1.01, so it may win; 8 000 draws a chain, so that two MCSE fit within the 0.1 sd tolerance
    accurate = tiny_run("numpyro", model=str(folder), tune=500, draws=8000)
    assert accurate["status"] == "ok", accurate.get("reason")
    assert accurate["accuracy"] == "accurate", accurate["accuracy_worst"]
    worst = accurate["accuracy_parameters"][accurate["accuracy_worst_parameter"]]
    assert worst["mean_mcse_sd"] < 0.02, worst  # the precision the comment above counts on
    assert accurate["accuracy_reference"] == "linear_regression/references/n60.json"

    biased_folder = tmp_path / "biased" / "linear_regression"
    biased_folder.parent.mkdir()
    import shutil

    shutil.copytree(folder, biased_folder)
    path = biased_folder / "numpyro_model.py"
    path.write_text(path.read_text().replace('"slope", dist.Normal(0.0, 20.0)', '"slope", dist.Normal(0.0, 0.05)'))
    biased = tiny_run("numpyro", model=str(biased_folder), draws=300)
    assert biased["status"] == "ok", biased.get("reason")
    assert biased["accuracy"] == "biased" and biased["accuracy_worst_parameter"] == "slope", biased["accuracy_worst"]

    # The two versions side by side as two backends of one model (the records name their folders).
    model = accurate["model"]
    biased_as_backend = {**biased, "sampler": "numpyro-biased-prior", "model": model}
    summary = summarize([biased_as_backend, accurate])
    sentence = fastest_to_ess(summary, model, TINY_N, "cold")
    assert "**numpyro** reaches" in sentence, sentence
    # Accurate against the reference, numpyro is not barred for disagreeing with a biased backend.
    assert summary.table.set_index("sampler").at["numpyro", "status"] == "ok"
    sentence = fastest_to_ess(summarize([biased_as_backend]), model, TINY_N, "cold")
    assert "no backend qualifies" in sentence and "biased against the reference" in sentence, sentence

    paths = write_report(summary, {}, tmp_path / "report", "t")
    markdown = paths["markdown"].read_text()
    assert "the posterior" in markdown and "| reference" in markdown and "BIASED" in markdown
    rows = paths["posterior_csv"].read_text().splitlines()
    assert rows[0].startswith("model,n,sampler,parameter,runs,mean,sd,ref_mean,ref_sd,mean_error_sd")
    slope_rows = [r for r in rows if ",slope," in r]
    assert len(slope_rows) == 2


def test_scoring_on_known_numbers():
    ref = {"parameters": {"mu": {"mean": 0.0, "sd": 1.0, "mcse_mean": 0.01, "mcse_sd": 0.01}}}
    close = accuracy.score({"mu": {"mean": 0.02, "sd": 1.01, "mcse_mean": 0.02, "mcse_sd": 0.02}}, ref)
    assert close["accuracy"] == "accurate"  # 0.02 sd off: within the noise and too small to matter
    real_but_small = accuracy.score({"mu": {"mean": 0.05, "sd": 1.0, "mcse_mean": 0.001, "mcse_sd": 0.001}}, ref)
    assert real_but_small["accuracy"] == "accurate"  # z ≈ 5 but only 0.05 sd: does not matter
    biased = accuracy.score({"mu": {"mean": 0.3, "sd": 1.0, "mcse_mean": 0.03, "mcse_sd": 0.03}}, ref)
    assert biased["accuracy"] == "biased" and biased["accuracy_worst_parameter"] == "mu"
    noisy = accuracy.score({"mu": {"mean": 0.3, "sd": 1.0, "mcse_mean": 0.2, "mcse_sd": 0.2}}, ref)
    # 0.3 sd off, but 1.5 MCSE: the run cannot tell, so it is not "accurate" either (issue 25:
    # that word went to broken runs, whose own MCSE explodes exactly when they are broken).
    assert noisy["accuracy"] == "inconclusive" and "too few effective draws" in noisy["accuracy_worst"]
    # One chain of four displaced by 1.5 sd: mean +0.36 sd, ESS about 15, so MCSE 0.26 sd and
    # z 1.4. It scored "accurate" before.
    displaced = accuracy.score({"mu": {"mean": 0.36, "sd": 1.05, "mcse_mean": 0.26, "mcse_sd": 0.2}}, ref)
    assert displaced["accuracy"] == "inconclusive", displaced["accuracy_worst"]
    # Accurate means the error plus two MCSE is within the tolerance (0.1 sd).
    tight = accuracy.score({"mu": {"mean": 0.03, "sd": 1.02, "mcse_mean": 0.02, "mcse_sd": 0.02}}, ref)
    assert tight["accuracy"] == "accurate", tight["accuracy_worst"]
    # Pooled over 40 such runs the same error is certain.
    entry = {**noisy["accuracy_parameters"]["mu"]}
    assert statistics.score_pooled([{"mu": entry}] * 40)["accuracy"] == "biased"


def test_a_matrix_valued_parameter_is_summarized():
    """ArviZ labels a matrix's elements "L[0, 0]"; the summary looked up "L[0]" and crashed."""
    import arviz_base
    import numpy as np

    rng = np.random.default_rng(1)
    idata = arviz_base.from_dict({"posterior": {"L": rng.normal(size=(4, 200, 2, 3)), "mu": rng.normal(size=(4, 200))}})
    out = reference.summarize(idata, ["L", "mu"])
    assert set(out) == {"mu", *(f"L[{i}, {j}]" for i in range(2) for j in range(3))}
    draws = np.asarray(idata["posterior"]["L"].values)
    assert out["L[1, 2]"]["mean"] == pytest.approx(draws[:, :, 1, 2].mean())
