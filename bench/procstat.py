"""Process figures the benchmarks read from ``/proc``: resident memory and CPU time.

Shared by ``bench/load.py`` and ``bench/intake.py`` (Linux only, like the services they run).
"""

from __future__ import annotations

import os
from pathlib import Path


def rss(pid: int) -> int:
    """Resident memory of one process, in bytes (0 when it is gone)."""
    return _status_kb(pid, "VmRSS:") * 1024


def peak_rss(pid: int) -> int:
    """The most resident memory the process has had since it started, in bytes (``VmHWM``;
    0 when it is gone): a peak between two samples of :func:`rss` is not missed."""
    return _status_kb(pid, "VmHWM:") * 1024


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (empty when it is gone)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return []


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children(current))
    return found


def rss_tree(pid: int) -> int:
    """Resident memory of a process and its descendants, in bytes."""
    return sum(rss(p) for p in descendants(pid))


def rss_largest(pid: int) -> int:
    """The largest single process in the tree (a worker's pool child, say), in bytes."""
    return max((rss(p) for p in descendants(pid)), default=0)


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """User + system CPU time one process has used so far (0 when it is gone); with
    ``reaped_children``, plus that of its children that have exited and been waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    # After the command name: state is field 3, utime and stime are fields 14 and 15, the
    # waited-for children's cutime and cstime fields 16 and 17.
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_tree(pid: int) -> float:
    """CPU seconds of a process and its live descendants."""
    return sum(cpu_seconds(p) for p in descendants(pid))


def cpu_by_command(name: str) -> float:
    """CPU seconds of every live process whose command name is ``name`` (all PostgreSQL
    backends, say: they are the postmaster's children, not the benchmark's), with what their
    exited children used: a backend or autovacuum worker that exits between two readings
    then moves into its parent's count instead of leaving it (which made a difference of
    two readings negative)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != name:
                continue
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        total += cpu_seconds(int(entry.name), reaped_children=True)
    return total
