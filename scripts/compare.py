#!/usr/bin/env python
"""Compare MCMC sampler backends: see ``python scripts/compare.py --help``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from samplerbench.cli.compare import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
