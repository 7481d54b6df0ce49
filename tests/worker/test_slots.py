"""Slots on demand: which waits are told to suspend, and a woken wait never loses an answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis as sync_redis
from redis.asyncio import Redis

from agentjobs.celery_config import queue_lists
from agentjobs.connection import connect
from agentjobs.settings import RedisSettings
from worker.reply_wait import YIELD_MARKER, YIELDED, blpop_or_yield
from worker.slots import PRESSURE_CHECK_SECONDS, SlotPressure

QUEUE = "agentjobs.wf.slots-test"


@pytest.fixture
async def redis(isolated_db: str) -> AsyncIterator[Redis]:
    client = connect(RedisSettings(redis_url=isolated_db))
    yield client
    await client.aclose()


async def test_the_oldest_waits_are_asked_only_when_no_slot_is_free_and_jobs_are_queued(
    isolated_db: str,
) -> None:
    held = {"a"}
    pressure = SlotPressure(held=lambda: held)
    client = sync_redis.Redis.from_url(isolated_db, decode_responses=True)
    # No watching thread: its own checks would race this test's (it asked "c" first once).
    pressure.watch(client, [QUEUE], slots=2)
    try:
        oldest, newer = pressure.register("a"), pressure.register("b")
        client.rpush(queue_lists(QUEUE)[1], "a new job's task")
        assert pressure.check() == 0  # a slot is free: the queued job takes it
        held.add("b")
        assert pressure.check() == 1  # one queued job, one wait asked: the oldest
        await asyncio.sleep(0)  # the event is set on the wait's own loop
        assert oldest.is_set() and not newer.is_set()
        # "a" is still freeing its slot for the queued job: no other wait is asked for it.
        assert pressure.check() == 0
        client.rpush(queue_lists(QUEUE)[0], "an answered job's task")
        assert pressure.check() == 1
        await asyncio.sleep(0)
        assert newer.is_set()
        # "a" and "b" suspended and left; the queued jobs took their slots ("c" now waits too):
        # the asked waits no longer count as freeing (not for a second), so the next queued
        # job gets a slot asked for it at once.
        held.clear()
        held.update({"c", "answered"})
        client.delete(*queue_lists(QUEUE))
        third = pressure.register("c")
        client.rpush(queue_lists(QUEUE)[1], "another new job's task")
        assert pressure.check() == 1
        await asyncio.sleep(0)
        assert third.is_set()
        pressure.unregister("c")
        pressure.unregister("a")
        pressure.unregister("b")
        assert pressure.check() == 0
        client.delete(*queue_lists(QUEUE))
    finally:
        client.close()


async def test_the_watching_thread_asks_a_wait_when_a_job_is_queued_behind_full_slots(
    isolated_db: str,
) -> None:
    pressure = SlotPressure(held=lambda: {"a"})
    client = sync_redis.Redis.from_url(isolated_db, decode_responses=True)
    watching = pressure.start(client, [QUEUE], slots=1)
    try:
        asked = pressure.register("a")
        await asyncio.sleep(3 * PRESSURE_CHECK_SECONDS)
        assert not asked.is_set()  # nothing queued: the full slot is not needed
        client.rpush(queue_lists(QUEUE)[1], "a new job's task")
        await asyncio.wait_for(asked.wait(), timeout=5)
        pressure.unregister("a")
    finally:
        pressure.stop()
        # Closed under a check in flight, the client failed inside redis-py on that thread
        # (an AttributeError, reported as an unhandled thread exception in the next test).
        watching.join(timeout=5)
        client.delete(*queue_lists(QUEUE))
        client.close()


async def test_a_woken_wait_yields_and_leaves_nothing_in_the_reply_list(redis: Redis) -> None:
    now = asyncio.Event()
    wait = asyncio.create_task(blpop_or_yield(redis, "reply-1", 5.0, "job", now))
    await asyncio.sleep(0.05)
    now.set()
    assert await wait is YIELDED
    assert await redis.llen("reply-1") == 0


async def test_an_answer_that_came_first_is_returned_and_the_marker_removed(redis: Redis) -> None:
    now = asyncio.Event()
    await redis.rpush("reply-2", '"the answer"')
    now.set()
    popped = await blpop_or_yield(redis, "reply-2", 5.0, "job", now)
    assert popped is not YIELDED and popped is not None and popped[1] == '"the answer"'
    assert YIELD_MARKER not in await redis.lrange("reply-2", 0, -1)
