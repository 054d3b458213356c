#!/usr/bin/env python
"""Rebuild or compare reports from the results store: see ``python scripts/report.py --help``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from samplerbench.cli.report import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
