"""Peak resident memory of one run's whole process tree, watched from the orchestrator.

A worker starts its own session (``start_new_session``), and everything it spawns stays in
that session unless it asks otherwise: PyMC's chain processes, httpstan's pool, the C++
compiler of a Stan build. A thread sums the resident set sizes of every process of the
session from ``/proc`` every ``INTERVAL_S`` and keeps the largest sum. Beside it, the kernel's
own high-water mark of each process (``VmHWM``, which the kernel keeps exact between samples)
gives the largest single process, as a check from outside this sampling: the tree's peak can
never be below it, and the report takes the larger of the two.

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


def scan_session(session_id: int) -> tuple[float, float | None] | None:
    """(summed RSS, largest single-process high-water mark) of a session in MiB; None
    without /proc."""
    if not os.path.isdir("/proc"):
        return None
    pages, largest = 0, None
    for pid, rss_pages in _session_pids(session_id):
        pages += rss_pages
        hwm = high_water_mib(pid)
        if hwm is not None:
            largest = hwm if largest is None else max(largest, hwm)
    return pages * _PAGE_MIB, largest


class TreeMemoryWatch:
    """Samples a session's summed RSS in a background thread until ``stop()``; it can also
    kill the session when a deadline passes (the caller blocks in ``os.wait4`` meanwhile)."""

    def __init__(self, session_id: int, deadline: float | None = None, on_deadline=None):
        self.session_id = session_id
        self.deadline = deadline
        self.on_deadline = on_deadline
        self.peak_mib: float | None = None
        self.largest_process_mib: float | None = None
        self.samples = 0
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
                rss, largest = scan
                self.peak_mib = rss if self.peak_mib is None else max(self.peak_mib, rss)
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
