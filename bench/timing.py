"""CPU and wall time of a block, optionally under cProfile: the measurement the in-process
benchmarks (``bench/intake_cpu.py``, ``bench/decisions_cpu.py``) share."""

from __future__ import annotations

import contextlib
import cProfile
import pstats
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass
class Timed:
    """Seconds of process CPU time and of wall time the block took, and its profile."""

    profile: cProfile.Profile | None
    cpu: float = 0.0
    wall: float = 0.0

    def per(self, n: int) -> str:
        """The CPU and wall time of one of ``n`` units of work, in milliseconds."""
        return f"CPU {1000 * self.cpu / n:.3f} ms, wall {1000 * self.wall / n:.3f} ms" + (
            " (profiled: inflated)" if self.profile is not None else ""
        )

    def print_profile(self, *sort_keys: str, limit: int = 40) -> None:
        """The profile's listing sorted by each of ``sort_keys`` (nothing unprofiled)."""
        if self.profile is not None:
            for key in sort_keys:
                pstats.Stats(self.profile).sort_stats(key).print_stats(limit)


@contextlib.contextmanager
def timed(profile: bool = False, clock: Callable[[], float] | None = None) -> Iterator[Timed]:
    """Time the block (``time.process_time``: every thread of the process); with
    ``profile``, run it under cProfile, whose clock is ``clock`` (default: wall time)."""
    result = Timed(
        None if not profile else cProfile.Profile(clock) if clock else cProfile.Profile()
    )
    cpu, wall = time.process_time(), time.perf_counter()
    if result.profile is not None:
        result.profile.enable()
    try:
        yield result
    finally:
        if result.profile is not None:
            result.profile.disable()
        result.cpu = time.process_time() - cpu
        result.wall = time.perf_counter() - wall
