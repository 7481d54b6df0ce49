"""Waiting for a human's answer: the wait in progress, its deadline, and a BLPOP that rides out
Redis outages and ends early when the job should give up its slot."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from agentjobs import tracing
from worker.slots import SLOTS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wait:
    """A wait for an answer in progress: the question, its timeout, and when it began."""

    request_id: str
    timeout: float | None
    since: float
    """``loop.time()`` when the wait began."""


def first_hold(suspend_after: float | None, timeout: float | None) -> float | None:
    """How long to block for the answer before suspending the job (``timeout`` if it never
    suspends); None waits forever."""
    if suspend_after is None:
        return timeout
    hold = max(suspend_after, 0.01)  # BLPOP reads 0 as "forever"
    return hold if not timeout else min(hold, timeout)


async def question_deadline_ms(redis: Redis, wait: Wait) -> int | None:
    """When the question of ``wait`` times out, in epoch ms of Redis's clock (None: never).

    The deadline counts from when the wait began, not from now."""
    seconds, micros = await redis.time()
    now_ms = int(seconds) * 1000 + int(micros) // 1000
    waited_ms = int((asyncio.get_running_loop().time() - wait.since) * 1000)
    return None if not wait.timeout else now_ms - waited_ms + int(wait.timeout * 1000)


async def blpop_surviving_outages(
    redis: Redis, key: str, timeout: float | None, job_id: str
) -> list[str] | None:
    """BLPOP that waits out a Redis restart instead of failing the job; same total timeout.

    An answer pushed before the outage is still there afterwards (the list is persisted),
    and a job must not fail just because its store blinked while a human was thinking.
    """
    loop = asyncio.get_running_loop()
    deadline = None if not timeout else loop.time() + timeout
    pause = 0.1
    while True:
        left = 0.0 if deadline is None else max(deadline - loop.time(), 0.001)
        try:
            return cast("list[str] | None", await redis.blpop([key], timeout=left))
        except (RedisConnectionError, RedisTimeoutError, OSError):
            if deadline is not None and loop.time() >= deadline:
                return None
            log.warning("job %s: Redis unreachable while waiting for input", job_id)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)


YIELD_MARKER = "\x00yield"
"""Pushed to a reply list to end a wait early; never valid JSON, so never an answer."""


class Yielded:
    """What ``blpop_or_yield`` returns when the wait was told to give up its slot."""


YIELDED = Yielded()
Popped = list[str] | None | Yielded
"""A hold's end: the reply list's entry, nothing (time is up), or told to give up the slot."""


async def hold_for_answer(
    redis: Redis, key: str, hold: float | None, job_id: str, may_suspend: bool
) -> Popped:
    """Wait ``hold`` s for the answer on ``key``; a wait that may suspend ends early
    (``YIELDED``) when another job needs its slot (``worker.slots``). Traced as a human wait."""
    attributes = {"agentjobs.job_id": job_id, "agentjobs.reply_key": key, "agentjobs.hold_s": hold}
    with tracing.span("human wait", attributes) as wait:
        popped = await _hold(redis, key, hold, job_id, may_suspend)
        wait.set("agentjobs.wait.outcome", _wait_outcome(popped))
        return popped


async def _hold(
    redis: Redis, key: str, hold: float | None, job_id: str, may_suspend: bool
) -> Popped:
    if not may_suspend:
        return await blpop_surviving_outages(redis, key, hold, job_id)
    now = SLOTS.register(job_id)
    try:
        return await blpop_or_yield(redis, key, hold, job_id, now)
    finally:
        SLOTS.unregister(job_id)


def _wait_outcome(popped: Popped) -> str:
    """``answered``, ``slot_released`` (another job needed the slot) or ``hold_over``."""
    if isinstance(popped, Yielded):
        return "slot_released"
    return "hold_over" if popped is None else "answered"


async def blpop_or_yield(
    redis: Redis, key: str, timeout: float | None, job_id: str, now: asyncio.Event
) -> list[str] | Yielded | None:
    """``blpop_surviving_outages``, ended early with ``YIELDED`` once ``now`` is set.

    The BLPOP is woken by a marker pushed to its own list, not cancelled: a BLPOP cancelled in
    flight may already have popped the answer, which would then be lost.
    """
    pop = asyncio.ensure_future(blpop_surviving_outages(redis, key, timeout, job_id))
    nudge = asyncio.ensure_future(now.wait())
    try:
        await asyncio.wait({pop, nudge}, return_when=asyncio.FIRST_COMPLETED)
        if not pop.done():
            try:
                await redis.lpush(key, YIELD_MARKER)
            except (RedisConnectionError, RedisTimeoutError, OSError):
                return await pop  # cannot wake it: the wait goes on to its own end
        popped = await pop
    except asyncio.CancelledError:
        pop.cancel()
        raise
    finally:
        nudge.cancel()
    if popped is not None and popped[1] == YIELD_MARKER:
        return YIELDED
    if now.is_set():
        # The answer (or the hold's end) came first: the marker must not stay behind it.
        await redis.lrem(key, 0, YIELD_MARKER)
    return popped
