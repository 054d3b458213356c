"""Splitting one run's wall time into compile and sampling seconds.

Libraries interleave compilation with sampling (JAX compiles at first call, PyMC compiles
PyTensor functions inside ``pm.sample``). A ``RunClock`` therefore collects *compile
intervals* from every source we can see (wrapped compile functions, JAX's own compile
events) and one *sampling window*; ``sampling_s`` is the window minus the compile time
(and the excluded output building) inside it. Intervals are merged before summing, so nested
compile events count once.

JAX dispatches device work asynchronously: a compile that happens while dispatched chains are
still running overlaps sampling and is *not* subtracted (PROTOCOL). ``device_busy`` intervals
record when dispatched work may have been running; only the parts of compile intervals outside
them are subtracted.
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


def intersection(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """The parts of the union of ``a`` that also lie in the union of ``b``."""
    out = []
    for s1, e1 in merged(a):
        for s2, e2 in merged(b):
            lo, hi = max(s1, s2), min(e1, e2)
            if hi > lo:
                out.append((lo, hi))
    return out


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
        # From the moment a call returned with device work still running (JAX's asynchronous
        # dispatch) until we blocked on its result: compiles in here overlap sampling.
        self.device_busy_intervals: list[Interval] = []
        self._rest_excluded_from: float | None = None
        self._dispatched_at: float | None = None
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
        self._rest_excluded_from = None
        try:
            yield
        finally:
            end = time.perf_counter()
            self.sampling_window = (start, end)
            if self._rest_excluded_from is not None:
                self.excluded_intervals.append((self._rest_excluded_from, end))

    def rest_of_window_is_output(self) -> None:
        """From now until the sampling window closes the library only builds its output
        (e.g. PyStan fetching and parsing the chains' output once all chains are done)."""
        if self._rest_excluded_from is None:
            self._rest_excluded_from = time.perf_counter()

    def device_dispatched(self) -> None:
        """A call has just returned with device work still running (JAX async dispatch)."""
        if self._dispatched_at is None:
            self._dispatched_at = time.perf_counter()

    def blocked(self, result, block) -> None:
        """Block on asynchronously dispatched ``result``. From the dispatch (noted by
        ``device_dispatched``, else now) until the block returns, device work may run."""
        dispatched = self._dispatched_at if self._dispatched_at is not None else time.perf_counter()
        block(result)
        self.device_busy_intervals.append((dispatched, time.perf_counter()))
        self._dispatched_at = None

    @staticmethod
    @contextmanager
    def wrapped(owner, attr: str, make_wrapper) -> Iterator[None]:
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

        return self.wrapped(owner, attr, make_wrapper)

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

        return self.wrapped(owner, attr, make_wrapper)

    def sampling_calls(self, owner, attr: str, block=None):
        """Make the (single) call of ``owner.attr`` the sampling window.

        ``block`` is applied to the call's result before the clock stops (for JAX:
        ``jax.block_until_ready``), because JAX returns before the device work is done; the
        time until it returns counts as device-busy (see ``blocked``).
        """

        def make_wrapper(original):
            def timed(*args, **kwargs):
                with self.sampling():
                    result = original(*args, **kwargs)
                    if block is not None:
                        self.blocked(result, block)
                return result

            return timed

        return self.wrapped(owner, attr, make_wrapper)

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

    def window_breakdown(self) -> dict:
        """How the sampling window splits, recorded with every run so the split can be audited:
        compile and output building inside the window (subtracted), and the part of them that
        overlapped dispatched device work (not subtracted)."""
        if self.sampling_window is None:
            return {}
        start, end = self.sampling_window
        return {
            "sampling_window_s": end - start,
            "window_compile_s": covered_s(self.compile_intervals, start, end),
            "window_output_s": covered_s(self.excluded_intervals, start, end),
            "window_overlapping_device_s": covered_s(
                intersection(self.compile_intervals + self.excluded_intervals, self.device_busy_intervals), start, end),
        }

    def sampling_s(self) -> float | None:
        """The window minus compile and output-building intervals inside it, except where
        those overlapped dispatched device work (then the chains were sampling meanwhile)."""
        if self.sampling_window is None:
            return None
        start, end = self.sampling_window
        not_sampling = self.compile_intervals + self.excluded_intervals
        overlapping = intersection(not_sampling, self.device_busy_intervals)
        return (end - start) - covered_s(not_sampling, start, end) + covered_s(overlapping, start, end)
