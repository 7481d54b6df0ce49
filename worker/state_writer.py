"""A fixed set of threads that write job states to Celery's result backend for the runs.

Celery's backend is synchronous. Called on a run's own pool thread, with 1,000 threads waiting
for answers, the writes after a burst of answers queued on the GIL (a blocking socket call per
thread: answer-all -> all-finished went from 5 s to 20-90 s in the benchmarks); a thread per
run (``asyncio.to_thread``) cost 2 threads and 4 Redis connections per waiting job. A few
threads, started together, keep both flat: Celery keeps one backend connection per thread.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from functools import cache

THREADS = 4

_Write = tuple["Future[None]", Callable[[], object]]


class StateWriter:
    """Runs state writes on ``threads`` threads; ``write`` awaits one without blocking a loop."""

    def __init__(self, threads: int = THREADS) -> None:
        self._writes: queue.SimpleQueue[_Write] = queue.SimpleQueue()
        for number in range(threads):
            name = f"agentjobs-state-{number}"
            threading.Thread(target=self._serve, name=name, daemon=True).start()

    async def write(self, call: Callable[[], object]) -> None:
        """Run ``call`` on one of the writer threads; raises what it raised."""
        await asyncio.wrap_future(self._submit(call))

    def write_blocking(self, call: Callable[[], object]) -> None:
        """``write`` for a thread with no event loop (a run's pool thread, at its end)."""
        self._submit(call).result()

    def _submit(self, call: Callable[[], object]) -> Future[None]:
        done: Future[None] = Future()
        self._writes.put((done, call))
        return done

    def _serve(self) -> None:
        while True:
            done, call = self._writes.get()
            if not done.set_running_or_notify_cancel():
                continue
            try:
                call()
            except BaseException as exc:  # handed to the awaiting run, which decides
                done.set_exception(exc)
            else:
                done.set_result(None)


@cache
def state_writer() -> StateWriter:
    """The process's writer, started on first use."""
    return StateWriter()
