"""The compile / sampling split of RunClock."""

import time

from samplerbench.measure.timing import RunClock, covered_s, merged


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


def test_compile_overlapping_dispatched_device_work_is_not_subtracted():
    """PROTOCOL: a compile after the chains were dispatched overlaps sampling (the case of PyMC
    copying sample stats while NumPyro's chains still run) and must stay in sampling_s."""
    clock = RunClock()
    with clock.sampling():
        with clock.compiling():  # before dispatch: the sampler's own compilation
            time.sleep(0.05)
        clock.device_dispatched()  # chains running from here
        with clock.compiling():  # overlaps the running chains
            time.sleep(0.04)
        clock.blocked(None, lambda _: time.sleep(0.03))  # device work finishes
    window = clock.sampling_window[1] - clock.sampling_window[0]
    assert window >= 0.12
    # Only the compile before dispatch is subtracted.
    assert abs(clock.sampling_s() - (window - clock.window_breakdown()["window_compile_s"]) - 0.04) < 0.01
    assert 0.065 <= clock.sampling_s() < window - 0.045
    assert clock.window_breakdown()["window_overlapping_device_s"] >= 0.04


def test_output_building_at_the_end_of_the_window_is_left_out():
    clock = RunClock()
    with clock.sampling():
        time.sleep(0.03)  # sampling
        clock.rest_of_window_is_output()
        time.sleep(0.05)  # fetching and parsing the draws
    assert 0.025 <= clock.sampling_s() < 0.045
    assert clock.window_breakdown()["window_output_s"] >= 0.05
