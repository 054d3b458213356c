"""stanc, found without importing a Stan library, and its ``--info`` of a Stan file."""

from __future__ import annotations

import json
from pathlib import Path

from models.errors import ModelFileError


def stanc_path() -> Path | None:
    """The stanc that ships with httpstan (PyStan's), else CmdStan's; found without importing."""
    import importlib.util
    import os

    found = importlib.util.find_spec("httpstan")
    candidates = [Path(p, "stanc") for p in (found.submodule_search_locations or [])] if found else []
    if os.environ.get("CMDSTAN"):
        candidates.append(Path(os.environ["CMDSTAN"], "bin", "stanc"))
    return next((c for c in candidates if c.is_file()), None)


_STANC_INFO: dict[tuple, dict] = {}


def stanc_info(stan_file: Path) -> dict:
    """stanc ``--info`` of a Stan file; a syntax or type error raises ModelFileError with
    stanc's own message (file, line, column and what it expected)."""
    import subprocess

    stan_file = Path(stan_file)
    key = (str(stan_file), stan_file.stat().st_mtime_ns)
    if key in _STANC_INFO:
        return _STANC_INFO[key]
    stanc = stanc_path()
    if stanc is None:
        raise ModelFileError(f"{stan_file}: no stanc to read it with (it ships with PyStan's httpstan: "
                             "pip install pystan)")
    proc = subprocess.run([str(stanc), "--info", str(stan_file)], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise ModelFileError(f"{stan_file}: stanc rejects it:\n{(proc.stderr or proc.stdout).strip()}")
    _STANC_INFO[key] = json.loads(proc.stdout)
    return _STANC_INFO[key]
