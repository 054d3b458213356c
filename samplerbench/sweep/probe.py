"""Which backends can run here: ``python -m samplerbench.sweep.probe`` prints JSON name -> reason.

Run as a child process so the orchestrator never imports a backend library (cmdstanpy's
own lookup of CmdStan is the authority on whether CmdStan is installed).
"""

from __future__ import annotations

import json
import sys


def availability(names=None) -> dict[str, str | None]:
    import samplers

    out = {}
    for name in names or samplers.names():
        try:
            out[name] = samplers.get(name).unavailable_reason()
        except Exception as err:  # noqa: BLE001 - a broken install is a reason, not a crash
            out[name] = f"availability check failed: {type(err).__name__}: {err}"
    return out


if __name__ == "__main__":
    json.dump(availability(sys.argv[1:] or None), sys.stdout)
