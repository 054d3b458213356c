"""A user's own model, as it is: one language, data from a file, outside the repo.

Real runs through the real command line and worker; the posteriors are checked against the
closed-form posteriors of conjugate models (an outside check, not the tool's own numbers).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

import models
from samplerbench.measure.parameters import MAX_DEFAULT_PARAMETERS, reported_parameters
from samplerbench.store.records import load_records_file
from tests.conftest import tiny_run

REPO = Path(__file__).resolve().parents[1]
COMPARE = [sys.executable, str(REPO / "scripts" / "compare.py")]
NEW_MODEL = [sys.executable, str(REPO / "scripts" / "new_model.py")]
TINY_SWEEP = ["--runs", "1", "--cache", "cold", "--chains", "2", "--tune", "300", "--draws", "500"]

# A negative-binomial count model: Stan only, data in Stan's JSON format.
NEG_BINOMIAL_STAN = """\
data {
  int<lower=0> N;
  array[N] int<lower=0> counts;
  vector[N] exposure;
}
parameters {
  real log_rate;
  real<lower=0> phi;
}
model {
  log_rate ~ normal(0, 2);
  phi ~ exponential(0.1);
  counts ~ neg_binomial_2_log(log(exposure) + log_rate, phi);
}
"""

# A coin: PyMC only, Beta(2, 2) prior, so the posterior is Beta(2 + heads, 2 + tails).
COIN_PYMC = """\
import numpy as np
import pymc as pm


def build(data):
    with pm.Model() as model:
        p = pm.Beta("p", 2.0, 2.0)
        pm.Bernoulli("flips", p=p, observed=np.asarray(data["flips"]))
    return model
"""
FLIPS = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1]

# A mean with known sd 1 and a Normal(0, 10) prior: NumPyro only, data from a CSV.
MEAN_NUMPYRO = """\
import numpyro
import numpyro.distributions as dist


def model(data):
    mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
    numpyro.sample("y", dist.Normal(mu, 1.0).expand([data["N"]]), obs=data["y"])
"""


def negative_binomial_files(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    exposure = rng.uniform(1.0, 3.0, 40).round(3)
    counts = rng.negative_binomial(5, 5 / (5 + 2.0 * exposure))
    (folder / "counts.stan").write_text(NEG_BINOMIAL_STAN)
    (folder / "counts.json").write_text(json.dumps({"N": 40, "counts": counts.tolist(), "exposure": exposure.tolist()}))
    return folder / "counts.stan", folder / "counts.json"


def coin_folder(parent: Path) -> Path:
    folder = parent / "coin"
    folder.mkdir(parents=True)
    (folder / "pymc_model.py").write_text(COIN_PYMC)
    (folder / "data.json").write_text(json.dumps({"flips": FLIPS}))
    return folder


def run_compare(*args, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run([*COMPARE, *args], capture_output=True, text=True, timeout=timeout)


def by_sampler(records: list[dict]) -> dict[str, dict]:
    return {r["sampler"]: r for r in records if r.get("kind", "run") == "run"}


def test_a_stan_file_with_json_data_runs_on_the_stan_backends_and_the_others_are_not_applicable(tmp_path):
    stan_file, data_file = negative_binomial_files(tmp_path / "scratch")
    out = tmp_path / "reports"
    proc = run_compare("--models", str(stan_file), "--data", str(data_file), "--samplers", "pystan", "numpyro",
                       "nutpie-stan", *TINY_SWEEP, "--db", str(tmp_path / "db.sqlite"), "--out", str(out),
                       "--name", "counts")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records, _ = load_records_file(out / "counts.runs.jsonl")
    rows = by_sampler(records)
    assert rows["pystan"]["status"] == "ok", rows["pystan"].get("reason")
    # No info.json: every sampled parameter of the Stan program is reported.
    assert set(rows["pystan"]["posterior"]) == {"log_rate", "phi"}
    assert rows["pystan"]["language"] == "stan"
    assert rows["numpyro"]["status"] == "not applicable"
    assert "no numpyro_model.py" in rows["numpyro"]["reason"] and "model.stan" in rows["numpyro"]["reason"]
    # nutpie-stan runs Stan: applicable, and skipped here only because BridgeStan's sources are missing.
    assert rows["nutpie-stan"]["status"] in ("ok", "skipped")
    if rows["nutpie-stan"]["status"] == "skipped":
        assert "BridgeStan" in rows["nutpie-stan"]["reason"] and "BRIDGESTAN" in rows["nutpie-stan"]["reason"]
    floor = next(r for r in records if r.get("kind") == "gradient-floor")
    assert floor["status"] == "not applicable"
    report = (out / "counts.md").read_text()
    header = next(line for line in report.splitlines() if line.startswith("| backend") and "language" in line)
    assert header.split("|")[2].strip() == "language"
    numpyro_row = next(line for line in report.splitlines() if line.startswith("| numpyro "))
    assert [cell.strip() for cell in numpyro_row.split("|")[1:4]] == ["numpyro", "numpyro", "not applicable"]
    assert "`--n` does not change them" in report and "counts.json" in report
    # The data are the user's, untouched: the model's mean count per exposure is near the data's.
    data = json.loads(data_file.read_text())
    rate = np.sum(data["counts"]) / np.sum(data["exposure"])
    assert abs(rows["pystan"]["posterior"]["log_rate"]["mean"] - math.log(rate)) < 0.2


def test_a_pymc_only_folder_outside_the_repo_runs_on_every_pymc_backend(tmp_path):
    folder = coin_folder(tmp_path / "scratch")
    out = tmp_path / "reports"
    proc = run_compare("--models", str(folder), "--samplers", "pymc", "nutpie", "pystan", *TINY_SWEEP,
                       "--no-gradient-floor", "--db", str(tmp_path / "db.sqlite"), "--out", str(out), "--name", "coin")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records, _ = load_records_file(out / "coin.runs.jsonl")
    rows = by_sampler(records)
    assert rows["pystan"]["status"] == "not applicable" and "no model.stan" in rows["pystan"]["reason"]
    heads, tails = sum(FLIPS), len(FLIPS) - sum(FLIPS)
    a, b = 2 + heads, 2 + tails
    exact_mean, exact_sd = a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    for sampler in ("pymc", "nutpie"):
        row = rows[sampler]
        assert row["status"] == "ok", row.get("reason")
        assert row["language"] == "pymc"
        p = row["posterior"]["p"]
        assert abs(p["mean"] - exact_mean) < 4 * p["mcse_mean"] + 1e-3, (sampler, p, exact_mean)
        assert abs(p["sd"] - exact_sd) < 0.15 * exact_sd, (sampler, p, exact_sd)
    report = (out / "coin.md").read_text()
    assert "Not applicable: **pystan** (stan)" in report


def test_a_numpyro_only_model_reads_its_data_from_a_csv_named_in_info_json(tmp_path):
    folder = tmp_path / "mean"
    folder.mkdir()
    (folder / "numpyro_model.py").write_text(MEAN_NUMPYRO)
    y = np.random.default_rng(5).normal(3.0, 1.0, 25)
    (folder / "obs.csv").write_text("id,y\n" + "".join(f"{i},{v:.6f}\n" for i, v in enumerate(y)))
    (folder / "info.json").write_text(json.dumps({"csv": {"file": "obs.csv", "columns": ["y"], "length": "N"}}))
    spec = models.load_folder(folder)
    assert spec.languages == ("numpyro",) and spec.data_source == "csv" and not spec.n_applies
    data = spec.generate_data(123)
    assert data["N"] == 25 and set(data) == {"y", "N"}
    record = tiny_run("numpyro", model=str(folder), draws=500)
    assert record["status"] == "ok", record.get("reason")
    precision = 25 + 1 / 100
    exact_mean, exact_sd = np.round(y, 6).sum() / precision, 1 / math.sqrt(precision)
    mu = record["posterior"]["mu"]
    assert abs(mu["mean"] - exact_mean) < 4 * mu["mcse_mean"] + 1e-3, (mu, exact_mean)
    assert abs(mu["sd"] - exact_sd) < 0.15 * exact_sd


def test_a_stan_syntax_error_shows_stancs_message_and_line(tmp_path):
    stan_file, data_file = negative_binomial_files(tmp_path)
    stan_file.write_text(NEG_BINOMIAL_STAN.replace("log_rate ~ normal(0, 2);", "log_rate ~ normal(0, 2)"))
    proc = run_compare("--models", str(stan_file), "--data", str(data_file), "--dry-run", "--db", str(tmp_path / "db"),
                       timeout=120)
    assert proc.returncode == 2
    assert str(stan_file) in proc.stderr and "line 12" in proc.stderr and "Ill-formed" in proc.stderr, proc.stderr


def test_a_python_model_without_its_function_says_which_function_it_looked_for(tmp_path):
    folder = coin_folder(tmp_path)
    (folder / "pymc_model.py").write_text(COIN_PYMC.replace("def build(", "def make_model("))
    proc = run_compare("--models", str(folder), "--dry-run", "--db", str(tmp_path / "db"), timeout=120)
    assert proc.returncode == 2
    assert f"{folder / 'pymc_model.py'}: no function build(data) found (it defines: make_model)" in proc.stderr


def test_data_that_do_not_fit_the_stan_program_are_refused_before_anything_runs(tmp_path):
    stan_file, data_file = negative_binomial_files(tmp_path)
    data_file.write_text(json.dumps({"N": 3, "counts": [1, 2.5, 3]}))
    proc = run_compare("--models", str(stan_file), "--data", str(data_file), "--db", str(tmp_path / "db"),
                       "--runs", "1", timeout=120)
    assert proc.returncode == 2
    assert f"{stan_file}: counts is declared int, but the data's counts holds fractions (e.g. 2.5)" in proc.stderr
    assert "declares exposure (real with 1 dimension), which the data" in proc.stderr and str(data_file) in proc.stderr
    assert "samplerbench: sweep" not in proc.stdout  # refused before a sweep began


def test_data_a_pymc_model_asks_for_in_vain_name_the_file_and_the_key(tmp_path):
    folder = coin_folder(tmp_path)
    (folder / "data.json").write_text(json.dumps({"coin_flips": FLIPS}))
    record = tiny_run("pymc", model=str(folder))
    assert record["status"] == "failed"
    assert (f"{folder / 'pymc_model.py'}: build(data) asks for data['flips'], which the data "
            f"({folder / 'data.json'}) do not have; they have: coin_flips") in record["reason"]


def test_nutpie_stan_is_skipped_with_the_install_hint_where_bridgestan_sources_are_missing(tmp_path, monkeypatch):
    import samplers

    backend = samplers.get("nutpie-stan")
    assert backend.language == "stan"
    monkeypatch.setenv("BRIDGESTAN", str(tmp_path))
    reason = backend.unavailable_reason()
    assert reason and str(tmp_path) in reason and "BRIDGESTAN" in reason and "get_bridgestan_path" in reason
    (tmp_path / "Makefile").write_text("# BridgeStan's\n")  # where the sources are, the row runs
    assert backend.unavailable_reason() is None


def test_new_model_scaffolds_a_folder_from_one_file_and_checks_it(tmp_path):
    source = tmp_path / "coin_model.py"
    source.write_text(COIN_PYMC)
    (tmp_path / "flips.json").write_text(json.dumps({"flips": FLIPS}))
    proc = subprocess.run([*NEW_MODEL, "coin", "--from", str(source), "--data", str(tmp_path / "flips.json"),
                           "--dir", str(tmp_path / "mine"), "--no-sampling"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    folder = tmp_path / "mine" / "coin"
    assert sorted(p.name for p in folder.iterdir()) == ["data.json", "info.json", "pymc_model.py"]
    info = json.loads((folder / "info.json").read_text())
    assert info["parameters"] == ["p"] and info["n_meaning"].startswith("nothing")
    assert f"next: python scripts/compare.py --models {folder}" in proc.stdout
    # A file stanc rejects: nothing to time, and stanc's message says why.
    bad = tmp_path / "bad.stan"
    bad.write_text(NEG_BINOMIAL_STAN.replace("real log_rate;", "real log_rate"))
    proc = subprocess.run([*NEW_MODEL, "bad", "--from", str(bad), "--dir", str(tmp_path / "mine"), "--no-sampling"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "stanc rejects it" in proc.stdout and "line 8" in proc.stdout, proc.stdout


def test_a_model_without_info_json_reports_every_sampled_parameter_up_to_the_cap(tmp_path):
    folder = tmp_path / "wide"
    folder.mkdir()
    names = [f"b{i}" for i in range(MAX_DEFAULT_PARAMETERS + 3)]
    (folder / "model.stan").write_text("parameters {\n" + "".join(f"  real {n};\n" for n in names)
                                       + "}\nmodel {\n" + "".join(f"  {n} ~ normal(0, 1);\n" for n in names) + "}\n")
    spec = models.load_folder(folder)
    assert spec.data_source == "none" and spec.generate_data(10) == {}
    reported, note = reported_parameters(spec, "stan", {})
    assert reported == names[:MAX_DEFAULT_PARAMETERS]
    assert f"first {MAX_DEFAULT_PARAMETERS} of {len(names)}" in note and str(folder / "info.json") in note


def test_a_model_that_kills_its_worker_becomes_a_failed_record(tmp_path):
    """A model whose process dies without a record (a segfault in a C extension, an os._exit in
    the user's code) is a failed run with the exit code and the log's last line, not a crash of
    the sweep."""
    folder = coin_folder(tmp_path)
    (folder / "pymc_model.py").write_text(COIN_PYMC.replace(
        "    with pm.Model() as model:", "    print('about to die', flush=True)\n    import os\n    os._exit(3)\n"
        "    with pm.Model() as model:"))
    record = tiny_run("pymc", model=str(folder))
    assert record["status"] == "failed"
    assert record["reason"] == "worker exited with code 3: about to die", record["reason"]
