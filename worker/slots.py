"""Slots on demand: a job waiting for a human gives up its slot as soon as another job needs it.

A pool thread held by a job that waits for an answer does no work. While every slot of this
worker is taken and a run task waits on one of its queues, the oldest waits are told to suspend
now instead of after ``AGENTJOBS_SUSPEND_AFTER_SECONDS`` (their answer requeues them, ahead of
new jobs). The check runs when a wait begins, and every ``PRESSURE_CHECK_SECONDS`` while a wait
is on; it reads Redis (one round of ``LLEN``) only when no slot is free.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import redis
from celery.worker import state as celery_state

from agentjobs.celery_config import queue_lists

log = logging.getLogger(__name__)

PRESSURE_CHECK_SECONDS = 0.05
"""How often a worker with waiting jobs and no free slot looks for queued jobs (a task arriving
on a queue does not wake the check; this bounds how long a start waits for a slot)."""
FREEING_SECONDS = 1.0
"""At most how long a wait told to suspend is taken to be freeing its slot: until its task
leaves the worker, or this long (it may have been answered meanwhile and run on)."""
FETCH_CHECK_SECONDS = 0.02
"""How soon a slot that came free fetches the next task (without prefetch)."""


def fetch_promptly(consumer: Any) -> None:
    """Make the worker fetch a task within ``FETCH_CHECK_SECONDS`` of a slot coming free.

    Without prefetch, kombu asks the broker for a task only when its event loop wakes and sees
    a free slot; a pool thread that ends a task does not wake it, and an idle loop sleeps up to
    a second, so every slot freed by a suspension sat idle for up to a second. A short no-op
    timer bounds the loop's sleep.
    """
    hub = getattr(consumer, "hub", None)
    if hub is not None:
        hub.call_repeatedly(FETCH_CHECK_SECONDS, _nothing)


def _nothing() -> None:
    """A timer entry that only wakes the event loop."""


def held_by_celery() -> set[str]:
    """Ids of the tasks this worker holds (running or about to; a run task's id is its job's):
    what Celery's no-prefetch check counts."""
    return {request.id for request in list(celery_state.reserved_requests)}


@dataclass
class _Wait:
    since: float
    loop: asyncio.AbstractEventLoop
    now: asyncio.Event
    asked: bool = False


@dataclass
class SlotPressure:
    """The waits of this process that could suspend, and the check that asks them to."""

    held: Callable[[], set[str]] = held_by_celery
    _waits: dict[str, _Wait] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _client: redis.Redis | None = None
    _lists: list[str] = field(default_factory=list)
    _slots: int = 0
    _asked: dict[str, float] = field(default_factory=dict)
    """Jobs told to suspend, by when: their slot counts as coming free while they hold it, up to
    ``FREEING_SECONDS``."""

    def register(self, job_id: str) -> asyncio.Event:
        """A wait of ``job_id`` that may suspend begins (on the calling event loop); the event
        is set when the job should suspend now."""
        wait = _Wait(time.monotonic(), asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waits[job_id] = wait
        self._wake.set()  # a new wait may be the one that fills the last slot
        return wait.now

    def unregister(self, job_id: str) -> None:
        """The wait of ``job_id`` ended (answered, suspended or stopped)."""
        with self._lock:
            self._waits.pop(job_id, None)

    def watch(self, client: redis.Redis, queues: list[str], slots: int) -> None:
        """Make ``check`` read ``queues`` (this worker's) for a pool of ``slots``."""
        self._client, self._slots = client, slots
        self._lists = [listed for queue in queues for listed in queue_lists(queue)]

    def start(self, client: redis.Redis, queues: list[str], slots: int) -> threading.Thread:
        """``watch`` the queues and check them on a daemon thread: when a wait begins, and every
        ``PRESSURE_CHECK_SECONDS`` while one is on."""
        self.watch(client, queues, slots)
        thread = threading.Thread(target=self._run, name="agentjobs-slots", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """End the watching thread (the worker stops)."""
        self._stop.set()
        self._wake.set()

    def check(self) -> int:
        """Ask the oldest waits to suspend if no slot is free and jobs are queued; returns how
        many were asked."""
        with self._lock:
            idle = sorted((i for i in self._waits.items() if not i[1].asked), key=_since)
        held = self.held()
        if not idle or self._client is None or len(held) < self._slots:
            return 0
        with self._client.pipeline(transaction=False) as pipe:
            for listed in self._lists:
                pipe.llen(listed)
            queued = sum(int(length) for length in pipe.execute())
        now = time.monotonic()
        with self._lock:
            # A wait asked a moment ago may not have freed its slot yet: its queued job is
            # provided for, and asking another wait for it would suspend one job too many.
            # Once its task has left the worker the slot is free, and the queued job is the
            # next fetch's: asking again then would make the next start wait out a window.
            self._asked = {
                job: at
                for job, at in self._asked.items()
                if job in held and now - at < FREEING_SECONDS
            }
            chosen = idle[: max(queued - len(self._asked), 0)]
            for job_id, wait in chosen:
                wait.asked = True
                self._asked[job_id] = now
                wait.loop.call_soon_threadsafe(wait.now.set)
        return len(chosen)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(PRESSURE_CHECK_SECONDS)
            self._wake.clear()
            try:
                asked = self.check()
            except (redis.RedisError, OSError):
                log.warning("slots: Redis unreachable; waiting jobs keep their slots for now")
                continue
            except RuntimeError:
                continue  # a wait's loop closed between the check and the call: it ended
            if asked:
                log.info("no free slot and jobs queued: %d waiting job(s) suspend now", asked)


def _since(item: tuple[str, _Wait]) -> float:
    return item[1].since


SLOTS: Final = SlotPressure()
"""This worker process's waits (one per process, like ``ACTIVE_RUNS``)."""
