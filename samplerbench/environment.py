"""The environment a sweep ran in, collected without importing any sampling library."""

from __future__ import annotations

import os
import platform
import subprocess
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


def collect() -> dict:
    return {
        "python": platform.python_version(),
        "os": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "git": git_state(),
        "libraries": library_versions(),
    }


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
