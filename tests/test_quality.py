"""Sampling quality, the gradient floor and cross-backend agreement, on real tiny runs."""

from __future__ import annotations

import pandas as pd
import pytest

from samplerbench.analysis import statistics
from samplerbench.views import markdown
from samplerbench.fields import FLOOR
from tests.conftest import model_variant, tiny_run


def _aggregate(records):
    return statistics.summarize(records).table.set_index("sampler")


def test_gradient_floor_is_measured():
    record = tiny_run(FLOOR, n=2000, kind=FLOOR)
    assert record["status"] == "ok", record.get("reason")
    assert 0 < record["floor_us_per_grad"] < 10_000
    floors = record["floors"]
    # Every language with a direct in-process call is timed, each listed; the floor is the fastest.
    assert "value_and_grad" in floors["jax"]["method"] and "scan" in floors["pytensor"]["method"]
    timed = {k: v["us_per_grad"] for k, v in floors.items() if v["us_per_grad"]}
    assert set(timed) == {"jax", "pytensor"}
    assert record["floor_us_per_grad"] == min(timed.values())
    assert record["floor_language"] == min(timed, key=timed.get)
    assert "not installed" in floors["stan"]["reason"] or "HTTP" in floors["stan"]["reason"]


def test_quality_fields_and_overhead_ratio(tiny_record):
    records = [tiny_record("numpyro"), tiny_run(FLOOR, kind=FLOOR)]
    run = records[0]
    for field in ("ess_bulk_min", "ess_tail_min", "rhat_max", "divergences", "grad_evals",
                  "grad_evals_warmup", "grad_evals_total", "ess_per_s", "us_per_grad", "ess_per_1k_grad"):
        assert run[field] is not None, field
    assert run["ess_per_s"] == run["ess_bulk_min"] / run["sampling_s"]
    assert abs(run["us_per_grad"] - run["sampling_s"] / run["grad_evals_total"] * 1e6) < 1e-6
    assert abs(run["ess_per_1k_grad"] - run["ess_bulk_min"] / run["grad_evals_total"] * 1000) < 1e-9
    for stats in run["posterior"].values():
        assert stats["mcse_mean"] > 0 and stats["sd"] > 0
    row = _aggregate(records).loc["numpyro"]
    parallel = min(run["chains"], run["cores"])
    assert row["overhead_x_floor"] == row["us_per_grad_median"] * parallel / records[1]["floor_us_per_grad"]


@pytest.mark.xdist_group("stan_builds")  # the worker whose httpstan cache has the Stan models built
def test_agreement_check_flags_a_wrongly_translated_backend(tmp_path, tiny_record):
    """NumPyro runs a variant whose slope prior is Normal(0, 0.5) instead of Normal(0, 20). The
    vote is per model file (language): the Stan and PyMC versions outvote the NumPyro one (with
    two languages only, a split along language lines names no side: tests/test_who_may_win.py)."""
    wrong = model_variant(tmp_path, "numpyro_model.py",
                          'dist.Normal(0.0, 20.0))\n    numpyro.sample("y"',
                          'dist.Normal(0.0, 0.5))\n    numpyro.sample("y"')

    right = [tiny_record("pymc-numpyro"), tiny_record("nutpie"), tiny_record("pystan")]
    bad = tiny_run("numpyro", model=str(wrong))
    assert bad["status"] == "ok", bad.get("reason")
    bad["model"] = "linear_regression"  # the same model as far as the report can tell

    table = _aggregate(right + [bad])
    assert table.loc["numpyro", "status"] == "disagrees"
    assert "slope" in table.loc["numpyro", "disagreement"]
    assert table.loc["pymc-numpyro", "status"] == "ok"
    assert table.loc["nutpie", "status"] == "ok"
    assert table.loc["pystan", "status"] == "ok"

    text = markdown.render_markdown(statistics.summarize(right + [bad]), header={})
    assert "DISAGREES" in text

    # Control: the correct NumPyro model agrees with the others.
    good = tiny_record("numpyro")
    assert _aggregate(right + [good]).loc["numpyro", "status"] == "ok"


def test_quality_warnings_are_surfaced():
    frame = pd.DataFrame({"divergences": [0, 3], "rhat_max": [1.0, 1.02], "ess_bulk_min": [1000, 150]})
    text = statistics.quality_warnings(frame)
    assert "divergences in 1/2 runs" in text and "R-hat > 1.01 in 1/2" in text and "ESS < 400 in 1/2" in text


def test_blackjax_agrees_with_numpyro_on_the_same_model():
    """The direct BlackJAX row samples the NumPyro model's own log density with another NUTS:
    its posterior must agree with NumPyro's, parameter by parameter."""
    records = [tiny_run(name, tune=300, draws=500) for name in ("numpyro", "blackjax")]
    for record in records:
        assert record["status"] == "ok", record.get("reason")
    assert set(records[0]["posterior"]) == set(records[1]["posterior"])
    table = _aggregate(records)
    assert table.loc["blackjax", "disagreement"] == "" and table.loc["numpyro", "disagreement"] == ""
    assert table.loc["blackjax", "status"] == "ok"
