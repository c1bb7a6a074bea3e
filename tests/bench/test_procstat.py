"""The benchmarks' /proc readings: CPU time summed over every process with a command name."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from bench.procstat import cpu_by_command, cpu_seconds, peak_rss, rss

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_sums_every_process_of_that_name() -> None:
    name = Path(f"/proc/{os.getpid()}/comm").read_text().strip()
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:  # some CPU time of our own to find
        pass
    own = cpu_seconds(os.getpid())
    assert own >= 0.1
    assert cpu_by_command(name) >= own


def test_no_such_command_costs_nothing() -> None:
    assert cpu_by_command("no-such-command-here") == 0.0


def test_the_peak_outlasts_the_memory_that_made_it() -> None:
    before = rss(os.getpid())
    block = b"x" * (64 << 20)  # written, so resident
    assert rss(os.getpid()) >= before + (60 << 20)
    del block
    assert peak_rss(os.getpid()) >= before + (60 << 20)
    assert rss(os.getpid()) < peak_rss(os.getpid())


def test_a_gone_process_has_no_memory() -> None:
    assert rss(2**22 + 1) == 0 and peak_rss(2**22 + 1) == 0


def test_a_child_that_exited_still_counts_in_its_parent() -> None:
    name = Path(f"/proc/{os.getpid()}/comm").read_text().strip()
    before = cpu_by_command(name)
    child = os.fork()
    if child == 0:  # the child: same command name; burns CPU, then exits
        deadline = time.process_time() + 0.3
        while time.process_time() < deadline:
            pass
        os._exit(0)
    os.waitpid(child, 0)
    assert cpu_by_command(name) - before >= 0.25
