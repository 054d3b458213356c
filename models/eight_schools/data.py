"""The published eight-schools data (Rubin 1981; Gelman et al., BDA, table 5.2).

The data are fixed: ``n`` is ignored (there are always 8 schools).
"""

import json
from pathlib import Path

import numpy as np

_DATA = json.loads((Path(__file__).parent / "schools.json").read_text())


def generate(n: int, seed: int) -> dict:
    return {
        "J": len(_DATA["y"]),
        "y": np.asarray(_DATA["y"], dtype=float),
        "sigma": np.asarray(_DATA["sigma"], dtype=float),
    }
