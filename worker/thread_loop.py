"""One event loop and one Redis client for each thread of the worker's pool, kept between runs.

Runs on one pool thread never overlap, so they can share a loop and the connections bound to
it. Starting every run with ``asyncio.run`` and a fresh Redis pool (then closing both) cost a
short job about a third of the worker's CPU in the benchmarks: new connections and handshakes
per run (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from redis.asyncio import Redis

from agentjobs.connection import connect
from agentjobs.settings import RedisSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

RUN_MAX_CONNECTIONS = 8
"""Connections one thread's runs may hold at once: the answer and control waits, emits."""

_local = threading.local()


class ThreadLoop:
    """The calling thread's event loop and Redis client."""

    def __init__(self, settings: RedisSettings) -> None:
        self._runner = asyncio.Runner()
        self.redis: Redis = connect(
            settings.model_copy(update={"redis_max_connections": RUN_MAX_CONNECTIONS})
        )
        # Pool threads live as long as the worker; a thread that ends (tests, a shrinking pool)
        # closes its connections and loop rather than leave them to the garbage collector.
        weakref.finalize(self, _close, self._runner, self.redis)

    def run(self, main: Callable[[Redis], Coroutine[Any, Any, T]]) -> T:
        """Run ``main(redis)`` to completion, then cancel whatever tasks it left behind.

        Each run gets a fresh copy of the thread's context, as ``asyncio.run`` gave it, so
        context variables a workflow sets do not leak into the next run on this thread.
        """
        try:
            return self._runner.run(main(self.redis), context=contextvars.copy_context())
        finally:
            self._runner.run(_cancel_leftovers())


def thread_loop(settings: RedisSettings) -> ThreadLoop:
    """The calling thread's ``ThreadLoop``, made on its first run."""
    loop: ThreadLoop | None = getattr(_local, "loop", None)
    if loop is None:
        loop = _local.loop = ThreadLoop(settings)
    return loop


def _close(runner: asyncio.Runner, redis: Redis) -> None:
    """Close an ended thread's connections and loop. The collector may call this from any
    thread, even one running a loop of its own, so the closing runs on a short thread of its
    own."""

    def close() -> None:
        try:
            runner.run(redis.aclose())
        finally:
            runner.close()

    with contextlib.suppress(RuntimeError):  # no new threads at interpreter exit: exit closes
        threading.Thread(target=close, name="agentjobs-loop-close", daemon=True).start()


async def _cancel_leftovers() -> None:
    """End the background tasks a run left (an agent runtime's, say), as ``asyncio.run`` does."""
    current = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task is not current]
    for task in leftovers:
        task.cancel()
    for result in await asyncio.gather(*leftovers, return_exceptions=True):
        if isinstance(result, Exception):
            log.debug("a task left by the previous run ended with %r", result)
