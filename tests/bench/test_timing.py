"""bench/timing.py: the CPU and wall time of a block, and its profile when asked."""

from __future__ import annotations

import pstats
import time

from bench.timing import timed


def spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_a_busy_block_costs_cpu_and_a_sleeping_one_wall_time() -> None:
    with timed() as busy:
        spin(0.05)
    with timed() as sleeping:
        time.sleep(0.05)
    assert busy.profile is None
    assert busy.cpu >= 0.03 and busy.wall >= 0.05
    assert sleeping.wall >= 0.05 and sleeping.cpu < 0.02


def test_the_profile_lists_what_ran_in_the_block() -> None:
    with timed(profile=True, clock=time.thread_time) as run:
        spin(0.02)
    assert run.profile is not None
    functions = {name for (_, _, name) in pstats.Stats(run.profile).stats}  # type: ignore[attr-defined]
    assert "spin" in functions
