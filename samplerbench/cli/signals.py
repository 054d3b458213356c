"""Signals that stop a sweep cleanly: finished runs kept, the report written, how to resume said."""

from __future__ import annotations

import signal


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt  # `kill` and `timeout` stop the sweep as cleanly as Ctrl-C


def stop_cleanly_on_signals() -> None:
    """SIGTERM and SIGINT raise KeyboardInterrupt in the sweep's loop."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    # Python leaves SIGINT ignored when it started ignored (`cmd &`, nohup): Ctrl-C's signal,
    # sent by `kill -INT`, must stop a background sweep as cleanly as a foreground one.
    signal.signal(signal.SIGINT, signal.default_int_handler)
