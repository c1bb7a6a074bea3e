"""The benchmarks' /proc readings: CPU time summed over every process with a command name."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from bench.procstat import cpu_by_command, cpu_seconds

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
