"""posteriordb's posteriors as models and its gold-standard draws as the truth (issue 28).

The posteriordb folder is found through one setting: ``SAMPLERBENCH_POSTERIORDB``, defaulting
to ``../shared/posteriordb`` beside the checkout; where it is absent these tests skip and say so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import models
from models import posteriordb
from tests.conftest import tiny_run

REPO = Path(__file__).resolve().parent.parent
PDB = Path(os.environ.get(posteriordb.ENV, REPO.parent / "shared" / "posteriordb"))
needs_pdb = pytest.mark.skipif(not (PDB / "posterior_database" / "posteriors").is_dir()
                               and not (PDB / "posteriors").is_dir(),
                               reason=f"no posteriordb folder at {PDB}: clone https://github.com/stan-dev/posteriordb "
                                      f"and set {posteriordb.ENV} to its path")
OURS = sorted(posteriordb.own_versions())


@pytest.fixture
def pdb_env(monkeypatch):
    monkeypatch.setenv(posteriordb.ENV, str(PDB))
    return posteriordb.root()


def _zipped(path: Path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read(archive.namelist()[0]))


@needs_pdb
def test_a_reference_from_the_draws_equals_numpy_on_the_zipped_draws(pdb_env):
    """gp_pois_regr: a vector (f), constrained parameters (rho, alpha > 0) and integer data (k).
    Every mean and sd equals numpy's over posteriordb's zipped draws, element by element, under
    the mapped name (f[1] -> f[0]); the data keep their integers."""
    from samplerbench.analysis import accuracy

    name = "gp_pois_regr-gp_pois_regr"
    spec = models.load_folder(posteriordb.own_versions()[name])
    data = spec.generate_data(0)
    assert data["k"].dtype == np.int64 and data["x"].dtype.kind in "if"
    path, reference = accuracy.find(spec, models.data_sha256(data))
    chains = _zipped(pdb_env / "reference_posteriors" / "draws" / "draws" / f"{name}.json.zip")
    assert reference["computed_from"]["note"].startswith(f"posteriordb {name} ")
    checked = 0
    for pdb_name in chains[0]:
        base = pdb_name.split("[")[0]
        if base not in spec.parameters:
            continue
        draws = np.concatenate([chain[pdb_name] for chain in chains])
        label = reference["label_map"][pdb_name]
        assert label == (pdb_name if "[" not in pdb_name else f"{base}[{int(pdb_name[len(base) + 1:-1]) - 1}]")
        entry = reference["parameters"][label]
        assert entry["mean"] == pytest.approx(draws.mean(), rel=1e-10)
        assert entry["sd"] == pytest.approx(draws.std(ddof=1), rel=1e-6)
        assert entry["mean_x2"] == pytest.approx((draws**2).mean(), rel=1e-10)
        checked += 1
    assert checked == 13  # rho, alpha and f[1..11]
    assert set(reference["parameters"]) == {"rho", "alpha", *(f"f[{i}]" for i in range(11))}


@needs_pdb
def test_our_eight_schools_reference_agrees_with_posteriordb_within_their_mcse(pdb_env):
    """The committed reference of our eight schools (a long PyStan run of ours) and posteriordb's
    gold draws of the same posterior agree within 4 combined MCSE on every mean and sd: a
    mistake in reference.py (its estimators, its element order) would show here."""
    from samplerbench.analysis import gold

    ours = json.loads((models.get("eight_schools").folder / "references" / "n2000.json").read_text())["parameters"]
    spec = models.load_folder(posteriordb.own_versions()["eight_schools-eight_schools_noncentered"])
    _, theirs = gold.reference(spec, "")
    assert set(theirs["parameters"]) == {"mu", "tau", *(f"theta[{i}]" for i in range(8))}
    for label, gold_entry in theirs["parameters"].items():
        mine = ours[label]
        for moment in ("mean", "sd"):
            combined = np.hypot(mine[f"mcse_{moment}"], gold_entry[f"mcse_{moment}"])
            assert abs(mine[moment] - gold_entry[moment]) < 4 * combined, (label, moment, mine[moment], gold_entry[moment])


def test_without_a_posteriordb_folder_a_pdb_model_exits_2_saying_how_to_get_one(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != posteriordb.ENV}
    run = subprocess.run([sys.executable, "scripts/compare.py", "--models", "pdb:eight_schools-eight_schools_noncentered",
                          "--db", str(tmp_path / "r.sqlite"), "--dry-run"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "git clone https://github.com/stan-dev/posteriordb" in run.stderr
    assert "--posteriordb PATH" in run.stderr and posteriordb.ENV in run.stderr
    bad = subprocess.run([sys.executable, "scripts/compare.py", "--posteriordb", str(tmp_path), "--list"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "not a posteriordb folder" in bad.stderr, bad.stderr


@needs_pdb
def test_a_parameter_posteriordb_has_no_draws_of_is_an_error_naming_the_ones_it_has(pdb_env, tmp_path):
    from samplerbench.analysis import gold

    folder = tmp_path / "eight_schools-eight_schools_noncentered"
    shutil.copytree(posteriordb.own_versions()[folder.name], folder)
    info = json.loads((folder / "info.json").read_text())
    (folder / "info.json").write_text(json.dumps({**info, "parameters": ["mu", "theta_trans"]}))
    with pytest.raises(models.ModelFileError, match=r"'theta_trans' is not in posteriordb's reference draws "
                                                    r"\(they have: theta, mu, tau\)"):
        gold.reference(models.load_folder(folder), "")


@needs_pdb
@pytest.mark.slow
def test_a_changed_prior_is_biased_against_the_gold_draws_and_the_healthy_model_is_accurate(pdb_env, tmp_path):
    """kidscore_momiq on NumPyro (4 chains × 3 000 draws): as written, accurate against
    posteriordb's draws; with sigma's half-Cauchy(2.5) prior made a half-normal(5), which pulls
    sigma (about 18) down, the run is biased and sigma is a biased element."""
    name = "kidiq-kidscore_momiq"
    healthy = tiny_run("numpyro", model=str(posteriordb.own_versions()[name]), chains=4, tune=500, draws=3000)
    assert healthy["status"] == "ok", healthy.get("reason")
    assert healthy["accuracy_reference"] == f"posteriordb {name}"
    assert healthy["accuracy"] == "accurate", healthy["accuracy_worst"]
    folder = tmp_path / name
    shutil.copytree(posteriordb.own_versions()[name], folder)
    source = (folder / "numpyro_model.py").read_text()
    assert "dist.HalfCauchy(2.5)" in source
    (folder / "numpyro_model.py").write_text(source.replace("dist.HalfCauchy(2.5)", "dist.HalfNormal(5.0)"))
    changed = tiny_run("numpyro", model=str(folder), chains=4, tune=500, draws=3000)
    assert changed["status"] == "ok", changed.get("reason")
    assert changed["accuracy"] == "biased"
    assert changed["accuracy_parameters"]["sigma"]["outcome"] == "biased", changed["accuracy_parameters"]["sigma"]
    assert changed["accuracy_worst_parameter"] in changed["accuracy_parameters"]


@needs_pdb
@pytest.mark.slow
@pytest.mark.parametrize("name", OURS)
def test_our_version_of_each_posterior_is_the_same_in_stan_pymc_and_numpyro(name, pdb_env):
    """The cross-language checks of every model (log densities with and without the Jacobian,
    gradients) on our versions of posteriordb's posteriors, with posteriordb's data."""
    from samplerbench.tools import gradients as gradient_check, logdensity

    spec = models.load_folder(posteriordb.own_versions()[name])
    assert spec.languages == ("stan", "pymc", "numpyro")
    for jacobian in (True, False):
        comparison = logdensity.compare(spec, jacobian=jacobian)
        assert comparison.agree, comparison.explain()
    gradients = gradient_check.compare_gradients(spec)
    assert gradients.agree, gradients.explain()


def test_at_least_twelve_posteriors_have_a_version_here_in_three_languages():
    assert len(OURS) >= 12, OURS
    for name, folder in posteriordb.own_versions().items():
        assert folder.name == name
        assert models.load_folder(folder).languages == ("stan", "pymc", "numpyro"), name


def _posteriordb_shaped_folder(root: Path) -> Path:
    """A posteriordb-shaped folder built here from the project's own files: a Stan program, its
    data and draws made from the exact posterior (y ~ normal(mu, 1), mu ~ normal(0, 10), and two
    free z ~ normal(0, 1)), in posteriordb's layout and formats (zipped JSON, 1-based names)."""
    rng = np.random.default_rng(7)
    y = rng.normal(1.5, 1.0, size=20)
    precision = 1 / 100 + len(y)
    base = root / "posterior_database"
    for sub in ("posteriors", "models/stan", "models/info", "data/data", "reference_posteriors/draws/draws"):
        (base / sub).mkdir(parents=True)
    (base / "posteriors" / "toy-normal_mean.json").write_text(json.dumps(
        {"name": "toy-normal_mean", "model_name": "normal_mean", "data_name": "toy",
         "reference_posterior_name": "toy-normal_mean"}))
    (base / "models" / "stan" / "normal_mean.stan").write_text(
        "data { int<lower=0> N; vector[N] y; }\nparameters { real mu; vector[2] z; }\n"
        "model { mu ~ normal(0, 10); z ~ std_normal(); y ~ normal(mu, 1); }\n")

    def zipped(path: Path, value) -> None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(path.name.removesuffix(".zip"), json.dumps(value))

    zipped(base / "data" / "data" / "toy.json.zip", {"N": len(y), "y": y.tolist()})
    chains = [{"mu": rng.normal(y.sum() / precision, precision ** -0.5, 1000).tolist(),
               "z[1]": rng.normal(0, 1, 1000).tolist(), "z[2]": rng.normal(0, 1, 1000).tolist()} for _ in range(10)]
    zipped(base / "reference_posteriors" / "draws" / "draws" / "toy-normal_mean.json.zip", chains)
    return root


@pytest.mark.slow
@pytest.mark.xdist_group("stan_builds")
def test_a_posterior_whose_stan_program_is_in_the_folder_runs_on_the_stan_backends(tmp_path):
    """A full clone has posteriordb's Stan programs: pdb:<posterior> without a version of ours
    runs that program on the Stan backends (PyStan here), scored against the folder's draws;
    NumPyro says not applicable; --list names the posterior and its language."""
    folder = _posteriordb_shaped_folder(tmp_path / "pdb")
    records = tmp_path / "records.jsonl"
    run = subprocess.run([sys.executable, "scripts/compare.py", "--posteriordb", str(folder), "--models",
                          "pdb:toy-normal_mean", "--samplers", "pystan", "numpyro", "--runs", "1", "--cache", "cold",
                          "--chains", "4", "--tune", "500", "--draws", "1000", "--no-gradient-floor",
                          "--db", str(tmp_path / "r.sqlite"), "--out", str(tmp_path / "out"), "--json", str(records)],
                         cwd=REPO, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    by_backend = {r["sampler"]: r for r in map(json.loads, records.read_text().splitlines()) if r.get("kind", "run") == "run"}
    pystan = by_backend["pystan"]
    assert pystan["status"] == "ok", pystan.get("reason")
    assert pystan["accuracy_reference"] == "posteriordb toy-normal_mean"
    assert set(pystan["accuracy_parameters"]) == {"mu", "z[0]", "z[1]"}
    assert pystan["accuracy"] == "accurate", pystan["accuracy_worst"]
    assert by_backend["numpyro"]["status"] == "not applicable"
    listed = subprocess.run([sys.executable, "scripts/compare.py", "--posteriordb", str(folder), "--list"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert "pdb:toy-normal_mean" in listed.stdout and "posteriordb's Stan program: stan" in listed.stdout, listed.stdout


def test_a_sweep_of_many_models_reads_as_one_table_of_accuracy_and_time():
    """The committed nine-model accuracy sample (real runs) as the model × backend table: the
    centred eight schools is biased on PyMC, a skipped backend is a sentence, not a column."""
    from samplerbench.analysis.statistics import summarize
    from samplerbench.store.records import load_records
    from samplerbench.views.model_grid import grid, grid_block

    summary = summarize(load_records(REPO / "reports" / "sample-all-models-n2000-accuracy.runs.jsonl"))
    frame, skipped = grid(summary)
    assert frame.shape == (9, 7) and "cmdstan" in skipped and "cmdstan" not in frame.columns
    assert frame.loc["eight_schools_centered", "pymc"].startswith("biased · ")
    assert frame.loc["logistic_regression", "numpyro"].startswith("accurate · ")
    assert "⚠ divergent" in frame.loc["eight_schools_centered", "numpyro"]
    assert "## Every model at a glance (cold runs)" in grid_block(summary)


def test_the_centred_eight_schools_is_the_same_model_in_both_folders():
    """models/posteriordb/eight_schools-eight_schools_centered holds copies of
    models/eight_schools_centered's files (one reads our data, the other posteriordb's and its
    draws): they must not drift apart."""
    ours, pdb = REPO / "models" / "eight_schools_centered", posteriordb.GROUP_DIR / "eight_schools-eight_schools_centered"
    for filename in models.LANGUAGE_FILES.values():
        assert (pdb / filename).read_text() == (ours / filename).read_text(), filename


def test_a_parameter_with_other_elements_than_the_reference_is_not_scored():
    from samplerbench.analysis.accuracy import element_mismatch

    reference = {"parameters": {"mu": {}, **{f"theta[{i}]": {} for i in range(8)}}}
    run = {"mu": {}, **{f"theta[{i}]": {} for i in range(7)}}
    assert element_mismatch(run, reference) == ("not scored: theta has 7 elements in the run and 8 in the reference "
                                                 "(the model's parameter is not the reference posterior's)")
    assert element_mismatch({**run, "theta[7]": {}}, reference) == ""


@needs_pdb
def test_resuming_a_posteriordb_sweep_without_the_folder_exits_2(tmp_path):
    """A sweep of pdb:… interrupted, resumed without --posteriordb: refused before anything runs,
    with how to give the folder (the workers read the data and draws from it)."""
    env = dict(os.environ)
    import sqlite3

    from samplerbench.store.database import ResultStore
    from samplerbench.sweep.config import SweepConfig
    from samplerbench.sweep.orchestrator import sweep_header
    from samplerbench import environment

    cfg = SweepConfig(models=["pdb:kidiq-kidscore_momiq"], samplers=["numpyro"], ns=[2000], runs=1, cache="cold")
    with ResultStore(tmp_path / "r.sqlite") as store:
        header = sweep_header(cfg, environment.collect())
        store.create_sweep(header, "s", 1)
    env.pop(posteriordb.ENV, None)
    resumed = subprocess.run([sys.executable, "scripts/compare.py", "--resume", "--db", str(tmp_path / "r.sqlite"),
                              "--out", str(tmp_path / "out")], cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=120)
    assert resumed.returncode == 2, resumed.stdout + resumed.stderr
    assert "pdb:kidiq-kidscore_momiq" in resumed.stderr and "git clone https://github.com/stan-dev/posteriordb" in resumed.stderr
    assert sqlite3.connect(tmp_path / "r.sqlite").execute("select count(*) from runs").fetchone()[0] == 0


def test_a_posteriordb_models_report_files_and_words_are_its_own(tmp_path):
    """The committed posteriordb sample rebuilt: no plot file name holds a colon (``pdb:arK-arK``
    made a markdown image link read as a URL scheme), and the posterior tables name posteriordb's
    draws as the reference, not long Stan runs of ours."""
    from samplerbench.analysis.statistics import summarize
    from samplerbench.store.records import load_records
    from samplerbench.views.report import _file_label

    records = load_records(REPO / "reports" / "sample-posteriordb.runs.jsonl")
    assert _file_label("pdb:arK-arK") == "pdb-arK-arK"
    text = (REPO / "reports" / "sample-posteriordb.md").read_text()
    images = [line for line in text.splitlines() if line.startswith("![")]
    assert images and not any(":" in line.split("](")[1] for line in images), images[:2]
    assert "beside the reference posterior (posteriordb arK-arK: posteriordb's gold-standard draws" in text
    assert summarize(records).table["model"].nunique() == 14


def test_no_reference_of_ours_is_computed_for_a_posteriordb_model():
    from samplerbench.tools import reference

    with pytest.raises(reference.ReferenceRefused, match="scored against posteriordb's gold draws"):
        reference.compute(models.get("pdb:kidiq-kidscore_momiq"), 2000, log=lambda *_: None)
