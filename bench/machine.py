"""What the machine is and what a process costs: cores, file-descriptor limits, /proc readings.

Linux only (``/proc``): CPU seconds and resident memory are read for any process id, so the
load generator measures the system under test from outside, without touching its code.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import resource
import sys
import time
import timeit
from dataclasses import dataclass
from pathlib import Path

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def cores() -> int:
    """CPU cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover (not Linux)
        return os.cpu_count() or 1


@dataclass(frozen=True)
class FdLimit:
    """RLIMIT_NOFILE after :func:`raise_fd_limit`."""

    soft: int
    hard: int
    raised_from: int

    def enough_for(self, sockets: int) -> bool:
        """Whether ``sockets`` descriptors plus some headroom fit under the soft limit."""
        return self.soft >= sockets + 256


def raise_fd_limit() -> FdLimit:
    """Raise the soft RLIMIT_NOFILE to the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            target = soft
    return FdLimit(soft=target, hard=hard, raised_from=soft)


def fd_soft_limit_of(pid: int) -> int | None:
    """The soft 'Max open files' of another process, from /proc (None if unreadable)."""
    try:
        text = Path(f"/proc/{pid}/limits").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Max open files"):
            value = line.split()[3]
            return int(value) if value.isdigit() else None
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (NaN if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man proc).
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident set size in bytes (0 if the process is gone)."""
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * _PAGE_SIZE


def describe() -> dict[str, object]:
    """The machine and interpreter, for the report header."""
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    return {
        "cores": cores(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def _busy_share(seconds: float) -> float:
    """Spin for ``seconds`` of wall time; the CPU time obtained per wall second."""
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        pass
    return (time.process_time() - cpu) / (time.perf_counter() - start)


def cpu_share(processes: int, seconds: float = 0.5) -> float:
    """Mean CPU time per wall second a busy process gets with ``processes`` of them spinning.

    1.0 on an idle bare-metal core; less on a shared or throttled VM, where every CPU figure
    of the benchmarks (CPU seconds per call, utilisation) must be read with that in mind.
    """
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        shares = pool.map(_busy_share, [seconds] * processes)
    return sum(shares) / len(shares)


def python_speed() -> float:
    """Seconds for ``sum(range(1000))``, best of five: compares interpreters and machines."""
    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000
