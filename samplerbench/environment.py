"""The environment a sweep ran in, collected without importing any sampling library."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

LIBRARIES = (
    "pymc", "pytensor", "numpyro", "jax", "jaxlib", "blackjax", "nutpie", "numba",
    "pystan", "httpstan", "cmdstanpy", "arviz", "arviz-base", "arviz-stats", "numpy", "pandas",
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def machine_label(environment: dict) -> str:
    """A machine in words: CPU, cores, memory (an environment, or a cluster record's `machine`)."""
    return (f"{environment.get('cpu', '?')}, {environment.get('cores', '?')} cores, "
            f"{environment.get('memory_gib', '?')} GiB")


def record_machine(record: dict) -> str | None:
    """The machine a --cluster run names (None: a run on the sweep's own machine)."""
    return machine_label(record["machine"]) if record.get("machine") else None


def git_state() -> dict:
    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD") or None
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def library_versions(names=LIBRARIES) -> dict:
    """Installed version of each distribution (None when missing), without importing it."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def with_checkout_on_path(base: dict) -> dict:
    """A child process's environment with this checkout first on PYTHONPATH, so that another
    interpreter (`--python`) imports samplerbench, samplers and models from here."""
    return dict(base, PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), base.get("PYTHONPATH", "")) if p))


def collect() -> dict:
    return {
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "os": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "git": git_state(),
        "libraries": library_versions(),
    }


class InterpreterError(Exception):
    """The interpreter named by `--python` cannot run samplerbench's workers (message says why)."""


# What every worker imports whatever its backend (the backends' own libraries are checked by
# the availability probe, and a backend without them is skipped).
WORKER_NEEDS = ("numpy", "arviz-base", "arviz-stats")
SUPPORTED_PYTHON = ((3, 12), (3, 13))  # pyproject's requires-python


def collect_for(python: str | None) -> dict:
    """The environment the workers run in: this interpreter's, or that of ``python`` (another
    virtual environment), read by running this module there; checked to be able to run workers."""
    if python is None:
        return collect()
    env = with_checkout_on_path(os.environ)
    try:
        proc = subprocess.run([python, "-m", "samplerbench.environment"], capture_output=True, text=True,
                              env=env, timeout=60, cwd=REPO_ROOT)
    except OSError as err:
        raise InterpreterError(f"{python} cannot be run: {err.strerror or err}") from None
    except subprocess.TimeoutExpired:
        raise InterpreterError(f"{python} did not answer within 60 s") from None
    try:
        found = json.loads(proc.stdout)
    except ValueError:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise InterpreterError(f"{python} could not report its environment ({last}); is it Python "
                               f"{SUPPORTED_PYTHON[0][0]}.{SUPPORTED_PYTHON[0][1]} or newer?") from None
    version = tuple(int(part) for part in found["python"].split(".")[:2])
    if version not in SUPPORTED_PYTHON:
        raise InterpreterError(f"{python} is Python {found['python']}; the workers need "
                               + " or ".join(f"{a}.{b}" for a, b in SUPPORTED_PYTHON))
    missing = [name for name in WORKER_NEEDS if not found["libraries"].get(name)]
    if missing:
        raise InterpreterError(f"{python} lacks {', '.join(missing)}, which every worker imports; install "
                               f"them there: {python} -m pip install {' '.join(missing)} (and the libraries "
                               "of the backends to run, e.g. 'numpyro jax[cpu]' or 'pymc')")
    return found


def version_changes(before: dict[str, str], after: dict[str, str]) -> str:
    """'numpyro 0.21.0 → 0.22.0, jax 0.11 → 0.12' for two {library: version}; '' if the same."""
    return ", ".join(f"{name} {before.get(name, 'absent')} → {after.get(name, 'absent')}"
                     for name in dict.fromkeys([*before, *after]) if before.get(name) != after.get(name))


def differences(before: dict, after: dict) -> list[str]:
    """What changed between two environments that could move a timing (not the git commit's
    dirtiness alone): machine, Python, library versions, commit."""
    changes = []
    for key in ("cpu", "cores", "memory_gib", "os", "python"):
        if before.get(key) != after.get(key):
            changes.append(f"{key} {before.get(key)} -> {after.get(key)}")
    old_libs, new_libs = before.get("libraries", {}), after.get("libraries", {})
    for name in sorted(set(old_libs) | set(new_libs)):
        if old_libs.get(name) != new_libs.get(name):
            changes.append(f"{name} {old_libs.get(name)} -> {new_libs.get(name)}")
    old_commit, new_commit = before.get("git", {}).get("commit"), after.get("git", {}).get("commit")
    if old_commit != new_commit:
        changes.append(f"samplerbench commit {str(old_commit)[:12]} -> {str(new_commit)[:12]}")
    return changes


if __name__ == "__main__":  # `--python`: the orchestrator asks another interpreter for its environment
    json.dump(collect(), sys.stdout)
