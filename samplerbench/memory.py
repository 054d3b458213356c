"""Peak memory of one run's whole process tree, watched from the orchestrator (and the worker's
own kernel high-water mark, which the worker reads itself: both processes import this module).

A worker starts its own session (``start_new_session``), and everything it spawns stays in
that session unless it asks otherwise: PyMC's chain processes, httpstan's pool, the C++
compiler of a Stan build. A thread sums the proportional set sizes (PSS, from
``/proc/PID/smaps_rollup``) of every process of the session every ``INTERVAL_S`` and keeps the
largest sum. PSS charges a page shared by k processes 1/k to each, so pages that forked
processes share count once in the sum; summing resident set sizes (RSS) counted them once per
process (PyMC's chain processes read 1.1 GiB where PSS said under 0.5). Where smaps_rollup
cannot be read (an old kernel, another user's process), that process's RSS is summed and the
record says so. Beside it, the kernel's own high-water mark of each process (``VmHWM``, exact
between samples, but RSS: shared pages count in full) gives the largest single process, as a
check from outside this sampling; it is reported beside the PSS peak, not mixed into it.

Not ``wait4``'s ``ru_maxrss``: Linux carries the parent's high-water mark through fork and
exec into the child's, so every worker of an orchestrator that once held 2 GiB would report
at least 2 GiB. Where there is no ``/proc`` (macOS), ``ru_maxrss`` is all there is.
"""

from __future__ import annotations

import os
import sys
import threading
import time

INTERVAL_S = 0.1  # one scan of /proc costs about 1.5 ms here: 1.5 % of one core
_PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 0.0


def _session_pids(session_id: int):
    """(pid, rss pages) of every process in the session."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:  # the process ended between the listing and the read
            continue
        # Fields after the command name (which may contain spaces): state ppid pgrp session ...
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 21 and int(fields[3]) == session_id:
            yield entry.name, int(fields[21])  # field 24 of proc(5): rss, in pages


def high_water_mib(pid: int | str = "self") -> float | None:
    """The kernel's high-water mark of one process's resident memory (``VmHWM``), in MiB."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return None  # no /proc, the process ended, or a zombie (its memory is gone)


def pss_mib(pid: int | str) -> float | None:
    """A process's proportional set size in MiB (``Pss:`` of ``smaps_rollup``), None where unreadable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError):
        pass
    return None


def scan_session(session_id: int) -> tuple[float, float | None, int, int] | None:
    """(summed PSS, largest single-process high-water mark, both in MiB; processes counted by
    RSS for want of PSS, processes in all) of a session; None without /proc."""
    if not os.path.isdir("/proc"):
        return None
    total, largest, by_rss, processes = 0.0, None, 0, 0
    for pid, rss_pages in _session_pids(session_id):
        processes += 1
        pss = pss_mib(pid)
        if pss is None:
            pss, by_rss = rss_pages * _PAGE_MIB, by_rss + 1
        total += pss
        hwm = high_water_mib(pid)
        if hwm is not None:
            largest = hwm if largest is None else max(largest, hwm)
    return total, largest, by_rss, processes


class TreeMemoryWatch:
    """Samples a session's summed PSS in a background thread until ``stop()``; it can also
    kill the session when a deadline passes (the caller blocks in ``os.wait4`` meanwhile)."""

    def __init__(self, session_id: int, deadline: float | None = None, on_deadline=None):
        self.session_id = session_id
        self.deadline = deadline
        self.on_deadline = on_deadline
        self.peak_mib: float | None = None
        self.largest_process_mib: float | None = None
        self.samples = 0
        self.processes_by_rss = 0  # processes whose PSS could not be read (their RSS was summed)
        self.processes_max = 0  # the most processes the tree had at once (chain processes seen)
        self.deadline_passed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="samplerbench-memory", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join()

    def _watch(self) -> None:
        while not self._stop.is_set():
            scan = scan_session(self.session_id)
            if scan is not None and scan[0] > 0:
                total, largest, by_rss, processes = scan
                self.processes_by_rss = max(self.processes_by_rss, by_rss)
                self.processes_max = max(self.processes_max, processes)
                self.peak_mib = total if self.peak_mib is None else max(self.peak_mib, total)
                self.largest_process_mib = max(filter(None, (self.largest_process_mib, largest)), default=None)
                self.samples += 1
            if self.deadline is not None and time.perf_counter() > self.deadline and not self.deadline_passed:
                self.deadline_passed = True
                if self.on_deadline:
                    self.on_deadline()
            self._stop.wait(INTERVAL_S)


def max_rss_mib(rusage) -> float:
    """``ru_maxrss`` in MiB (Linux reports KiB, macOS bytes). On Linux it includes the
    parent's high-water mark at fork: see the module's docstring."""
    return rusage.ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)
