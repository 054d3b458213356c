"""Splitting one run's wall time into compile and sampling seconds.

Libraries interleave compilation with sampling (JAX compiles at first call, PyMC compiles
PyTensor functions inside ``pm.sample``). A ``RunClock`` therefore collects *compile
intervals* from every source we can see (wrapped compile functions, JAX's own compile
events) and one *sampling window*; ``sampling_s`` is the window minus the compile time
inside it. Intervals are merged before summing, so nested compile events count once.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

Interval = tuple[float, float]

JAX_COMPILE_EVENT_PREFIX = "/jax/core/compile/"


def merged(intervals: list[Interval]) -> list[Interval]:
    out: list[list[float]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def covered_s(intervals: list[Interval], start: float, end: float) -> float:
    """Seconds of [start, end] covered by the union of ``intervals``."""
    total = 0.0
    for s, e in merged(intervals):
        lo, hi = max(s, start), min(e, end)
        if hi > lo:
            total += hi - lo
    return total


class RunClock:
    def __init__(self) -> None:
        self.compile_intervals: list[Interval] = []
        self.sampling_window: Interval | None = None
        # Work inside the sampling call that is neither compilation nor sampling
        # (e.g. PyMC's conversion of the trace to InferenceData).
        self.excluded_intervals: list[Interval] = []
        self.jax_compile_events = 0

    @contextmanager
    def compiling(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.compile_intervals.append((start, time.perf_counter()))

    @contextmanager
    def sampling(self) -> Iterator[None]:
        """Time the sampling call; the caller must block on device work inside it."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.sampling_window = (start, time.perf_counter())

    @staticmethod
    @contextmanager
    def _wrapped(owner, attr: str, make_wrapper) -> Iterator[None]:
        """Replace ``owner.attr`` by ``make_wrapper(original)`` while the block runs."""
        original = getattr(owner, attr)
        setattr(owner, attr, make_wrapper(original))
        try:
            yield
        finally:
            setattr(owner, attr, original)

    def compile_calls(self, owner, attr: str):
        """Count every call of ``owner.attr`` as compile time while the block runs."""

        def make_wrapper(original):
            def timed(*args, **kwargs):
                with self.compiling():
                    return original(*args, **kwargs)

            return timed

        return self._wrapped(owner, attr, make_wrapper)

    def excluded_calls(self, owner, attr: str):
        """Keep every call of ``owner.attr`` out of the sampling time."""

        def make_wrapper(original):
            def timed(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    self.excluded_intervals.append((start, time.perf_counter()))

            return timed

        return self._wrapped(owner, attr, make_wrapper)

    def sampling_calls(self, owner, attr: str, block=None):
        """Make the (single) call of ``owner.attr`` the sampling window.

        ``block`` is applied to the call's result before the clock stops (for JAX:
        ``jax.block_until_ready``), because JAX returns before the device work is done.
        """

        def make_wrapper(original):
            def timed(*args, **kwargs):
                with self.sampling():
                    result = original(*args, **kwargs)
                    if block is not None:
                        block(result)
                return result

            return timed

        return self._wrapped(owner, attr, make_wrapper)

    def listen_to_jax(self) -> None:
        """Record JAX tracing, lowering and XLA compile events as compile intervals."""
        import jax.monitoring

        def on_event(event: str, duration_secs: float, **_kwargs) -> None:
            if event.startswith(JAX_COMPILE_EVENT_PREFIX):
                end = time.perf_counter()
                self.compile_intervals.append((end - duration_secs, end))
                self.jax_compile_events += 1

        jax.monitoring.register_event_duration_secs_listener(on_event)

    def compile_s(self, start: float, end: float) -> float:
        return covered_s(self.compile_intervals, start, end)

    def sampling_s(self) -> float | None:
        if self.sampling_window is None:
            return None
        start, end = self.sampling_window
        not_sampling = self.compile_intervals + self.excluded_intervals
        return (end - start) - covered_s(not_sampling, start, end)
