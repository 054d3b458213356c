"""Shared helpers: tiny real runs through the real orchestrator (no mocks, no fakes)."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import pytest

# One httpstan cache for the whole session (in-process Stan builds of the log-density checks,
# and the tiny runs that share it below), so each Stan model is compiled once per session.
# This file is imported twice per process (by pytest as `conftest`, and by the tests as
# `tests.conftest`): the folder is kept in the environment so that both imports use the same
# one (a second folder silently emptied httpstan's cache midway, so Stan models built again).
# One folder per xdist worker: two processes building one model into one folder could race.
_CACHE_VARIABLE = f"SAMPLERBENCH_TEST_CACHE_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
SESSION_CACHE = Path(os.environ.setdefault(_CACHE_VARIABLE, tempfile.mkdtemp(prefix="sbtest-cache-")))
os.environ["XDG_CACHE_HOME"] = str(SESSION_CACHE / "xdg")

from samplerbench.sweep.config import SweepConfig
from samplerbench.sweep.spawn import measure_one, probe_availability

TINY = dict(chains=2, tune=150, draws=150, timeout_s=300.0)
TINY_N = 60
CLOCK_SLACK_S = 1e-3


@pytest.fixture(scope="session")
def availability():
    import samplers

    return probe_availability(samplers.names())


@pytest.fixture(scope="session")
def shared_cache():
    """Cache folders whose httpstan part is the session's (so Stan models build once)."""

    class Shared:
        def __truediv__(self, name):
            folder = SESSION_CACHE / "runs" / name
            folder.mkdir(parents=True, exist_ok=True)
            xdg = folder / "xdg"
            if not xdg.exists():
                xdg.symlink_to(SESSION_CACHE / "xdg", target_is_directory=True)
            return folder

    (SESSION_CACHE / "xdg").mkdir(parents=True, exist_ok=True)
    return Shared()


def tiny_run(sampler: str, *, model="linear_regression", n=TINY_N, cache="cold", run=1, cache_dir=None,
             kind="run", **overrides):
    cfg = SweepConfig(models=[model], samplers=[sampler], ns=[n], runs=1, cache=cache, **{**TINY, **overrides})
    root = Path(tempfile.mkdtemp(prefix="sbtest-"))
    (root / "work").mkdir()
    record = measure_one(model, sampler, n, run, cfg, Path(cache_dir or root / "cache"), root / "work", root / "logs",
                         kind=kind)
    from samplerbench.run_record import problems

    assert not problems(record), f"the record of a tiny {sampler} run is not a valid record: {problems(record)}"
    return record


@pytest.fixture(scope="session")
def tiny_record(tmp_path_factory):
    """``tiny_record(sampler)``: one default tiny cold run of the linear regression per backend
    for the whole session, shared by the tests that only read its record (the suite stays under
    20 minutes). Across xdist workers it is a file in the session's common temporary folder,
    written under a lock by whichever worker asks first."""
    import fcntl
    import json

    root = tmp_path_factory.getbasetemp()
    folder = (root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root) / "shared-tiny-records"
    folder.mkdir(exist_ok=True)

    def get(sampler: str) -> dict:
        path = folder / f"{sampler}.json"
        with open(folder / f"{sampler}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                path.write_text(json.dumps(tiny_run(sampler)))
        return json.loads(path.read_text())

    return get


def model_variant(tmp_path: Path, filename: str | None = None, old: str = "", new: str = "",
                  name: str = "linear_regression") -> Path:
    """A copy of a model folder (same name) with ``old`` replaced by ``new`` in one file."""
    import shutil

    import models

    folder = tmp_path / name
    shutil.copytree(models.get(name).folder, folder)
    if filename:
        path = folder / filename
        text = path.read_text()
        assert old in text, (filename, old)
        path.write_text(text.replace(old, new))
    return folder


def assert_protocol_invariants(record: dict) -> None:
    """PROTOCOL: every field >= 0, e2e >= compile + sampling, process >= import + e2e."""
    for field in ("import_s", "compile_s", "sampling_s", "end_to_end_s", "process_s"):
        value = record[field]
        assert value is not None and math.isfinite(value) and value >= 0, (field, value)
    assert record["end_to_end_s"] + CLOCK_SLACK_S >= record["compile_s"] + record["sampling_s"], record
    assert record["process_s"] + CLOCK_SLACK_S >= record["import_s"] + record["end_to_end_s"], record


GROUPING_BROKEN_SINCE = "9.2"  # pytest-dev/pytest-xdist#1386, seen with xdist 3.8.0


def _grouping_error(detail: str) -> pytest.UsageError:
    return pytest.UsageError(
        f"pytest-xdist's --dist loadgroup would not group the tests marked xdist_group ({detail}; "
        "pytest-dev/pytest-xdist#1386): install the pinned pytest with `pip install -e '.[test]'` (make test does)")


def pytest_configure(config):
    """Refuse to run when `--dist loadgroup` would silently not group. The tests marked
    `xdist_group` share one worker on purpose (one httpstan cache, so each Stan model is built
    once; sweeps that must not time each other); since pytest 9.2, xdist 3.8's grouping (renaming
    each item `nodeid@group`) no longer takes effect, and one CI run took 26 minutes."""
    from packaging.version import Version

    if config.getoption("dist", None) == "loadgroup" and Version(pytest.__version__) >= Version(GROUPING_BROKEN_SINCE):
        raise _grouping_error(f"pytest {pytest.__version__} >= {GROUPING_BROKEN_SINCE}")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """The same, checked where it happens (on each xdist worker, after xdist renamed the items),
    for a pytest version not yet known to break it: the run stops rather than going on ungrouped."""
    if not (hasattr(config, "workerinput") and getattr(config.option, "loadgroup", False)):  # xdist's worker flag
        return
    ungrouped = [item.nodeid for item in items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
    if ungrouped:
        raise _grouping_error(f"{len(ungrouped)} marked tests ungrouped, e.g. {ungrouped[0]}")


OLD_NUMPYRO = "0.21.0"


def make_old_numpyro_python(root: Path) -> str:
    """An interpreter whose numpyro is 0.21.0 and whose other libraries are this environment's:
    a venv that sees this one's packages (a .pth), numpyro installed over them from PyPI or
    pip's cache (seconds, where a whole second environment costs minutes of downloads)."""
    import subprocess
    import sys
    import sysconfig
    import venv

    venv.EnvBuilder(with_pip=False).create(root)
    site_packages = Path(subprocess.run(
        [root / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True).stdout.strip())
    # Processed at start-up: this environment's packages come after the venv's own.
    (site_packages / "base-environment.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_path('purelib')!r})\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", site_packages,
                    f"numpyro=={OLD_NUMPYRO}"], check=True, capture_output=True, timeout=600)
    python = str(root / "bin" / "python")
    found = subprocess.run([python, "-c", "import numpyro, nutpie; print(numpyro.__version__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert found == OLD_NUMPYRO
    return python
