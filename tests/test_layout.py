"""The house (issue 29): each folder of the package says in which process its code runs, the
measured worker stays lean, and the README's map is the tree."""

from __future__ import annotations

import re
from pathlib import Path

from samplerbench.sweep.config import SweepConfig
from samplerbench.sweep.spawn import measure_one
from tests.conftest import TINY, TINY_N

REPO = Path(__file__).resolve().parent.parent
# Rooms the measured process must never enter, and libraries it has no business loading.
NOT_IN_THE_WORKER = ("samplerbench.views", "samplerbench.store", "samplerbench.sweep", "samplerbench.cli",
                     "samplerbench.tools")
LIBRARIES_NOT_IN_THE_WORKER = {"dask", "distributed", "sqlite3", "_sqlite3", "plotly", "matplotlib"}


def _imported(log: Path) -> set[str]:
    """Every module Python's own import log (``PYTHONPROFILEIMPORTTIME``) names. The log is
    written by the import statement's C path: a module loaded through ``importlib.import_module``
    (the backend registry, ``Backend.import_libraries``) has no line itself, but every module it
    imports with an import statement has one (``numpyro.infer`` for ``numpyro``)."""
    return {line.rsplit("|", 1)[1].strip() for line in log.read_text(errors="replace").splitlines()
            if line.startswith("import time:") and "|" in line}


def test_the_measured_worker_loads_no_view_store_sweep_or_dask_module(tmp_path, monkeypatch):
    """A real tiny NumPyro run (timed run, diagnostics, accuracy score, counting run), with the
    interpreter logging every import of the worker process: none from the report, the store, the
    orchestrator or the command lines, and no Dask, SQLite, matplotlib or plotly."""
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")
    cfg = SweepConfig(models=["linear_regression"], samplers=["numpyro"], ns=[TINY_N], runs=1, cache="cold", **TINY)
    scratch = tmp_path / "work"
    scratch.mkdir()
    record = measure_one("linear_regression", "numpyro", TINY_N, 1, cfg, tmp_path / "cache", scratch,
                         log_dir=tmp_path / "logs", keep_log=True)
    assert record["status"] == "ok", record.get("reason")
    loaded = _imported(Path(record["log"]))
    # The log is the worker's, and it covers the run: the clock, the backend, the diagnostics.
    assert {"samplerbench.measure", "samplerbench.measure.timing", "samplerbench.measure.diagnostics",
            "samplers._numpyro_run", "numpyro.infer", "jax"} <= loaded, sorted(m for m in loaded if m.startswith("samplerbench"))
    wrong = sorted(m for m in loaded if m.startswith(NOT_IN_THE_WORKER) or m.split(".")[0] in LIBRARIES_NOT_IN_THE_WORKER)
    assert not wrong, f"the measured worker loaded {wrong}"


def test_the_readme_map_names_every_module_of_the_package():
    """'How it is built' lists each module under its folder; a module added or moved without
    updating the map fails here."""
    text = (REPO / "README.md").read_text()
    block = text[text.index("## How it is built"):text.index("### Changing the results store")]
    listed: set[str] = set()
    inside, folder = False, ""
    for line in block.splitlines():
        if not line.startswith(" "):  # a line of the repository's top level
            inside = line.startswith("samplerbench/")
            continue
        room = re.match(r"^  (\w+)/\s", line)
        if not inside or room:
            folder = room.group(1) if room else folder
            continue
        if not line.startswith("   "):  # a line of samplerbench/ itself: the shared modules
            folder = ""
        names = re.findall(r"(\w+)\.py\b", line.strip().split("   ")[0])
        listed |= {f"{folder}/{name}.py" if folder else f"{name}.py" for name in names}
    modules = {str(p.relative_to(REPO / "samplerbench")) for p in (REPO / "samplerbench").rglob("*.py")
               if p.name != "__init__.py"}
    assert modules - listed == set(), f"modules missing from the README's map: {sorted(modules - listed)}"


def test_every_default_of_a_sweep_has_one_source(monkeypatch):
    """SweepConfig holds the sweep's defaults (its run settings' are RunSettings' own): changing
    one there changes the command line's help and the configuration a bare command line gets,
    and the README's flag table states the same values."""
    from dataclasses import fields

    from samplerbench.cli import flags, session
    from samplerbench.sweep.config import sweep_default, SWEEP_SETTINGS
    from samplers.base import RunSettings

    run_defaults = {f.name: f.default for f in fields(RunSettings) if f.name in SWEEP_SETTINGS and f.name != "cache"}
    assert {name: sweep_default(name) for name in run_defaults if name != "cores"} == \
        {name: value for name, value in run_defaults.items() if name != "cores"}
    parser = flags.build_parser()
    assert session.config_from_args(parser.parse_args([]), parser) == SweepConfig()

    readme = (REPO / "README.md").read_text()
    table = {row.split("|")[1].strip(): row.split("|")[2].strip() for row in readme.splitlines()
             if row.startswith("| `--")}
    assert table["`--chains --tune --draws`"] == ", ".join(str(sweep_default(f)) for f in ("chains", "tune", "draws"))
    assert table["`--target-accept --max-treedepth`"] == f"{sweep_default('target_accept')}, {sweep_default('max_treedepth')}"
    for flag in ("runs", "cache", "timeout"):
        assert table[f"`--{flag}`"] == flags.default_text(flag), flag
    assert table["`--n N [N ...]`"] == flags.default_text("n")
    assert table["`--max-runs N`"] == flags.default_text("max_runs") and table["`--budget MINUTES`"] == flags.default_text("budget")
    assert table["`--ess-targets ESS [ESS ...]`"] == flags.default_text("ess_targets")

    # One place: a changed default reaches the help and the parsed configuration.
    monkeypatch.setattr(SweepConfig.__dataclass_fields__["tune"], "default", 333)
    monkeypatch.setattr(SweepConfig.__dataclass_fields__["cache"], "default", "warm")
    parser = flags.build_parser()
    text = " ".join(parser.format_help().split())
    assert "warmup (tuning) iterations per chain (default 333)" in text and "Default warm" in text
    parsed = session.config_from_args(parser.parse_args([]), parser)
    assert (parsed.tune, parsed.cache) == (333, "warm")


def test_the_verdict_is_computed_once_per_sweep_for_every_view(tmp_path, monkeypatch):
    """Issue 29, "statistics once": the markdown report, its PNG break-even plot and the terminal
    summary of one sweep read one verdict. Counted at the bootstrap (uncertainty.compare_runs,
    9 999 resamples each): no pair of run sets is compared twice."""
    import json

    from samplerbench.analysis import verdict
    from samplerbench.analysis.statistics import summarize
    from samplerbench.views import markdown, report

    fixture = REPO / "tests" / "fixtures" / "sweep-63d56ff-n2000-both.runs.jsonl"
    records = [json.loads(line) for line in fixture.read_text().splitlines() if line.strip()]
    seen: list[tuple] = []
    real = verdict.compare_runs

    def counted(a, b, *level):
        seen.append((tuple(a), tuple(b)))
        return real(a, b, *level)

    monkeypatch.setattr(verdict, "compare_runs", counted)
    summary = summarize(records)
    report.write_report(summary, {}, tmp_path, "once")
    markdown.terminal_table(summary)
    assert seen, "the verdict compared no runs: the fixture lost its comparisons"
    repeated = {pair: seen.count(pair) for pair in set(seen) if seen.count(pair) > 1}
    assert not repeated, f"{len(seen)} comparisons, {len(set(seen))} distinct: {len(repeated)} repeated"


def test_one_versioned_record_one_upgrade_chain_one_key():
    """Issue 29, item 3. Records of the first format (tests/fixtures/records-7835fd9.runs.jsonl,
    no version) come out of the loader in the current one; a record from a newer samplerbench
    is refused with what to do; the planner's key of a measurement is the key of its record."""
    import pytest

    from samplerbench import run_record
    from samplerbench.store.records import load_records
    from samplerbench.sweep.orchestrator import plan, unmeasured_record

    raw = [__import__("json").loads(line) for line in
           (REPO / "tests" / "fixtures" / "records-7835fd9.runs.jsonl").read_text().splitlines() if line.strip()]
    assert all("record_version" not in r for r in raw)
    loaded = load_records(REPO / "tests" / "fixtures" / "records-7835fd9.runs.jsonl")
    assert {r["record_version"] for r in loaded} == {run_record.RECORD_VERSION}
    runs = [r for r in loaded if r["kind"] == "run"]
    assert runs and all(r["cache"] == "cold" for r in runs)
    # Before warmup gradients were counted, us_per_grad meant something else: dropped, not renamed.
    assert all(r["us_per_grad"] is None for r in runs if "grad_evals_total" not in r)
    assert run_record.upgrade(loaded[0]) is loaded[0]  # the current format passes through
    with pytest.raises(ValueError, match="update samplerbench"):
        run_record.upgrade({**loaded[0], "record_version": run_record.RECORD_VERSION + 1})

    cfg = SweepConfig(models=["linear_regression"], samplers=["numpyro", "pystan"], ns=[60], runs=2, cache="both")
    for task in plan(cfg):
        record = unmeasured_record(task, "skipped", "why")
        assert run_record.run_key(record) == task.key
        assert run_record.problems(record) == []
    assert run_record.problems({"model": "m", "status": "done"}) != []


def test_modules_and_functions_a_reader_can_hold():
    """Issue 29: no module over 350 lines, no function over 60 lines, outside the tests."""
    import ast

    too_long = []
    for folder in ("samplerbench", "samplers", "models", "scripts", "benchmarks"):
        for path in sorted((REPO / folder).rglob("*.py")):
            text = path.read_text()
            if len(text.splitlines()) > 350:
                too_long.append(f"{path.relative_to(REPO)}: {len(text.splitlines())} lines")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 60:
                    too_long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}: "
                                    f"{node.end_lineno - node.lineno + 1} lines")
    assert not too_long, too_long
