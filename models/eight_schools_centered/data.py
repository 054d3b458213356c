"""The published eight-schools data, read from the non-centred twin's folder (one copy of the
data, so the twin whose long runs give this model its reference reads exactly the same)."""

import importlib.util
from pathlib import Path

_TWIN = Path(__file__).resolve().parent.parent / "eight_schools" / "data.py"
_spec = importlib.util.spec_from_file_location("_eight_schools_data", _TWIN)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)


def generate(n: int, seed: int) -> dict:
    return _module.generate(n, seed)
