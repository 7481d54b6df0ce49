"""Graceful shutdown: on SIGTERM running jobs get a grace period, then fail with ``shutdown``.

Celery's warm shutdown waits for every running task, and a job waiting for a human would keep
it waiting forever; this module ends what is still running once the grace period is over.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class ActiveRun:
    """A job running in this process: its event loop and workflow task."""

    job_id: str
    loop: asyncio.AbstractEventLoop
    task: asyncio.Task[Any]
    shutting_down: bool = False

    def stop_for_shutdown(self) -> None:
        """Cancel the workflow from any thread; the runner then fails the job with ``shutdown``."""

        def stop() -> None:
            self.shutting_down = True
            self.task.cancel()

        self.loop.call_soon_threadsafe(stop)


@dataclass
class ActiveRuns:
    """Every job running in this worker process, thread-safe."""

    closed: bool = False
    """Set once the worker is shutting down: no new job may start here."""
    _runs: dict[str, ActiveRun] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    def add(self, run: ActiveRun) -> None:
        """Track a run that has started."""
        with self._lock:
            self._runs[run.job_id] = run

    def remove(self, job_id: str) -> None:
        """Forget a run that has ended."""
        with self._changed:
            self._runs.pop(job_id, None)
            self._changed.notify_all()

    def drain(self, grace: float) -> list[str]:
        """Wait up to ``grace`` seconds for runs to end, then stop the rest; returns their ids."""
        deadline = time.monotonic() + grace
        with self._changed:
            while self._runs and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)
            remaining = list(self._runs.values())
        for run in remaining:
            log.warning("job %s: still running after the shutdown grace period", run.job_id)
            run.stop_for_shutdown()
        return [run.job_id for run in remaining]


ACTIVE_RUNS = ActiveRuns()
"""The runs of this process (one registry per worker process)."""


def begin_shutdown(grace: float) -> threading.Thread:
    """Close ``ACTIVE_RUNS`` to new jobs and drain it in the background."""
    ACTIVE_RUNS.closed = True
    thread = threading.Thread(
        target=ACTIVE_RUNS.drain, args=(grace,), name="agentjobs-shutdown", daemon=True
    )
    thread.start()
    return thread
