"""The compile / sampling split of RunClock."""

import time

from samplerbench.timing import RunClock, covered_s, merged


def test_nested_and_overlapping_intervals_count_once():
    intervals = [(0.0, 10.0), (2.0, 3.0), (9.0, 12.0), (20.0, 21.0)]
    assert merged(intervals) == [(0.0, 12.0), (20.0, 21.0)]
    assert covered_s(intervals, 0.0, 30.0) == 13.0
    assert covered_s(intervals, 11.0, 20.5) == 1.5


def test_sampling_time_excludes_compilation_inside_the_window():
    clock = RunClock()
    with clock.sampling():
        with clock.compiling():
            time.sleep(0.05)
        time.sleep(0.03)
    start, end = clock.sampling_window
    assert clock.compile_s(start, end) >= 0.05
    assert 0.02 <= clock.sampling_s() < 0.05


def test_wrapped_calls_are_restored_after_the_block():
    class Lib:
        @staticmethod
        def build():
            time.sleep(0.01)
            return "built"

    original = Lib.build
    clock = RunClock()
    with clock.compile_calls(Lib, "build"):
        assert Lib.build() == "built"
    assert Lib.build is original
    assert len(clock.compile_intervals) == 1
