"""Startup objects are frozen out of the collector; garbage made before is collected first."""

from __future__ import annotations

import subprocess
import sys


def test_freezing_collects_startup_garbage_then_freezes_the_survivors() -> None:
    # In a child process: freezing is process-wide and the test runner should keep its own GC.
    script = """
import gc, weakref
from agentjobs.gc_tuning import freeze_startup_objects

class Node:
    pass

cycle = Node(); cycle.self = cycle
dead = weakref.ref(cycle)
del cycle
kept = [Node() for _ in range(1000)]
before = gc.get_freeze_count()
freeze_startup_objects()
print(dead() is None, gc.get_freeze_count() - before >= len(kept), gc.collect(2) == 0)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout.split()
    assert out == ["True", "True", "True"]
