"""The command line as a user meets it: bad input, failing backends, the written report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from samplerbench.cli.compare import main

REPO = Path(__file__).resolve().parent.parent
COMPARE = [sys.executable, str(REPO / "scripts" / "compare.py")]
REPORT = [sys.executable, str(REPO / "scripts" / "report.py")]
TINY_ARGS = ["--n", "60", "--runs", "1", "--chains", "2", "--tune", "120", "--draws", "120", "--cache", "cold"]
RECORD_FIELDS = {"model", "sampler", "n", "cache", "run", "status", "reason",
                 "import_s", "compile_s", "sampling_s", "end_to_end_s", "process_s"}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--samplers", "stanx"], "valid samplers: cmdstan, pystan, pymc"),
        (["--models", "eight"], "valid models: collinear_regression, eight_schools, eight_schools_centered, gaussian_process"),
        (["--n", "0"], "--n: must be > 0"),
        (["--n", "-5"], "--n"),
        (["--n", "lots"], "expected a whole number"),
        (["--runs", "0"], "--runs: must be > 0"),
        (["--chains", "two"], "--chains: expected a whole number"),
        (["--draws", "-1"], "--draws"),
        (["--cache", "hot"], "invalid choice"),
        (["--timeout", "0"], "--timeout: must be > 0"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_help_explains_every_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--n", "--runs", "--samplers", "--models", "--chains", "--tune", "--draws",
                 "--target-accept", "--max-treedepth", "--cache", "--timeout", "--out", "--db", "--resume",
                 "--name", "--json", "--gradient-floor", "--list", "--ess-targets", "--data"):
        assert flag in text


def test_list_shows_availability_and_reasons():
    proc = subprocess.run([*COMPARE, "--list"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "linear_regression" in proc.stdout
    rows = {line.split()[0]: line for line in proc.stdout.split("samplers:")[1].splitlines() if line.strip()}
    assert set(rows) == {"cmdstan", "pystan", "pymc", "pymc-numpyro", "pymc-blackjax", "numpyro", "blackjax", "nutpie",
                         "nutpie-stan", "blackjax-mclmc", "blackjax-mams", "blackjax-chees", "pathfinder",
                         "nutpie-low-rank", "advi", "fullrank-advi"}
    # Each backend says which language of a model it runs and what kind of method it is; each
    # model, the languages it has.
    languages = {name: line.split()[2] for name, line in rows.items()}
    assert languages == {"cmdstan": "stan", "pystan": "stan", "pymc": "pymc", "pymc-numpyro": "pymc",
                         "pymc-blackjax": "pymc", "numpyro": "numpyro", "blackjax": "numpyro", "nutpie": "pymc",
                         "nutpie-stan": "stan", "blackjax-mclmc": "numpyro", "blackjax-mams": "numpyro", "advi": "pymc",
                         "fullrank-advi": "pymc", "blackjax-chees": "numpyro", "pathfinder": "numpyro",
                         "nutpie-low-rank": "pymc"}
    kinds = {name: line.split()[3] for name, line in rows.items()}
    assert kinds == {**{name: "mcmc" for name in rows}, "blackjax-mclmc": "mcmc-biased", "advi": "approximate",
                     "fullrank-advi": "approximate", "pathfinder": "approximate"}
    assert {name for name, line in rows.items() if "not in the default sweep" in line} == {
        "blackjax-chees", "pathfinder", "nutpie-low-rank", "advi", "fullrank-advi"}
    assert "kinds of method: mcmc: exact in the limit, may win" in proc.stdout
    assert "linear_regression    languages: stan, pymc, numpyro;" in proc.stdout


def test_a_crashing_backend_is_recorded_and_the_others_still_run(tmp_path):
    """A genuinely broken PyTensor configuration makes the pymc row crash at import."""
    out, extra_json = tmp_path / "reports", tmp_path / "all.jsonl"
    env = dict(os.environ, PYTENSOR_FLAGS="linker=bogus")
    proc = subprocess.run(
        [*COMPARE, *TINY_ARGS, "--samplers", "pymc", "numpyro", "--out", str(out),
         "--json", str(extra_json), "--name", "crash", "--db", str(tmp_path / "store.sqlite")],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = [json.loads(line) for line in extra_json.read_text().splitlines()]
    by_sampler = {r["sampler"]: r for r in records}
    assert by_sampler["pymc"]["status"] == "failed"
    assert "bogus" in by_sampler["pymc"]["reason"]
    assert "\n" not in by_sampler["pymc"]["reason"]  # the error's last line
    assert Path(by_sampler["pymc"]["log"]).exists()
    assert by_sampler["numpyro"]["status"] == "ok"
    for record in records:
        assert RECORD_FIELDS <= set(record), RECORD_FIELDS - set(record)
    # The table still prints, with the failure in it, and the files are all there.
    assert "failed" in proc.stdout and "numpyro" in proc.stdout
    assert (out / "crash.runs.jsonl").read_text() == extra_json.read_text()
    report = (out / "crash.md").read_text()
    assert "cache `cold`" in report and "bogus" in report
    assert (out / "crash.csv").exists() and (out / "crash.env.json").exists()


def test_a_run_past_the_timeout_is_failed_with_the_reason(tmp_path):
    proc = subprocess.run(
        [*COMPARE, *TINY_ARGS, "--samplers", "numpyro", "--timeout", "1.5", "--out", str(tmp_path),
         "--name", "slow", "--db", str(tmp_path / "store.sqlite")],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in (tmp_path / "slow.runs.jsonl").read_text().splitlines()]
    [record] = [r for r in records if r["sampler"] == "numpyro"]  # not the gradient-floor record
    assert record["kind"] == "run"
    assert record["status"] == "failed"
    assert "timed out after 1.5 s" in record["reason"]
    assert record["process_s"] < 30


def test_report_is_rebuilt_from_saved_records(tmp_path):
    proc = subprocess.run(
        [*COMPARE, *TINY_ARGS, "--samplers", "numpyro", "cmdstan", "--out", str(tmp_path), "--name", "orig",
         "--db", str(tmp_path / "store.sqlite")],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    rebuilt = subprocess.run(
        [*REPORT, str(tmp_path / "orig.runs.jsonl"), "--out", str(tmp_path / "again")],
        capture_output=True, text=True, timeout=120,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (tmp_path / "again" / "orig.md").read_text() == (tmp_path / "orig.md").read_text()


@pytest.mark.parametrize("flag, value", [("--out", "/proc/samplerbench-out"), ("--json", "/proc/x/all.jsonl"),
                                         ("--db", "/proc/x/store.sqlite")])
def test_unwritable_paths_are_refused_before_measuring(flag, value, tmp_path):
    args = {"--out": str(tmp_path / "out"), "--db": str(tmp_path / "store.sqlite")}
    args[flag] = value
    proc = subprocess.run([*COMPARE, *TINY_ARGS, "--samplers", "numpyro", "--name", "door",
                           *[item for pair in args.items() for item in pair]],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert f"{flag} {value}: cannot write there" in last, last
    assert "Traceback" not in proc.stderr and "gradient-floor" not in proc.stdout  # nothing measured


def test_a_model_folder_whose_info_names_another_model_is_refused(tmp_path):
    from tests.conftest import model_variant

    folder = model_variant(tmp_path, "info.json", '"name": "linear_regression"', '"name": "linear"')
    proc = subprocess.run([*COMPARE, "--models", str(folder), "--samplers", "numpyro", "--out", str(tmp_path),
                           "--db", str(tmp_path / "store.sqlite")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "info.json" in proc.stderr and "'linear'" in proc.stderr and "rename the folder" in proc.stderr


def test_a_garbled_worker_record_becomes_a_failed_record(tmp_path):
    from samplerbench.sweep.spawn import _read_worker_record

    (tmp_path / "a.json").write_text('{"status": "ok", "sampling_')
    (tmp_path / "b.json").write_text('[1, 2]')
    assert _read_worker_record(tmp_path / "a.json")["status"] == "failed"
    assert "unreadable" in _read_worker_record(tmp_path / "a.json")["reason"]
    assert _read_worker_record(tmp_path / "b.json")["status"] == "failed"
