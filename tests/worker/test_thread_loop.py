"""A pool thread's runs share one event loop and Redis client, and leave nothing behind."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

from redis.asyncio import Redis

from agentjobs.settings import RedisSettings
from tests.support.stack import RedisServer
from worker.thread_loop import thread_loop

MARK: contextvars.ContextVar[str | None] = contextvars.ContextVar("mark", default=None)


def _settings(redis_srv: RedisServer) -> RedisSettings:
    return RedisSettings(redis_url=redis_srv.url)


def test_runs_on_one_thread_reuse_the_loop_and_the_redis_connection(
    redis_srv: RedisServer,
) -> None:
    settings = _settings(redis_srv)

    async def identify(redis: Redis) -> tuple[int, int, int]:
        await redis.ping()
        client_id = int(await redis.client_id())
        return id(asyncio.get_running_loop()), id(redis), client_id

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(lambda: thread_loop(settings).run(identify)).result()
        second = pool.submit(lambda: thread_loop(settings).run(identify)).result()
    assert first == second  # same loop, same client, and the same server-side connection

    with ThreadPoolExecutor(1) as other_pool:
        elsewhere = other_pool.submit(lambda: thread_loop(settings).run(identify)).result()
    assert elsewhere[2] != first[2]  # another thread, another connection (ids never repeat)


def test_a_run_does_not_leak_tasks_or_context_into_the_next(redis_srv: RedisServer) -> None:
    settings = _settings(redis_srv)
    left_behind: list[asyncio.Task[None]] = []
    cancelled = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def first_run(_redis: Redis) -> str:
        MARK.set("first")
        left_behind.append(asyncio.create_task(forever()))
        await asyncio.sleep(0)
        return "done"

    async def second_run(_redis: Redis) -> tuple[str | None, int]:
        return MARK.get(), len(asyncio.all_tasks())

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(lambda: thread_loop(settings).run(first_run)).result() == "done"
        assert cancelled.is_set() and left_behind[0].cancelled()
        mark, tasks = pool.submit(lambda: thread_loop(settings).run(second_run)).result()
    assert mark is None
    assert tasks == 1  # only the run itself


def test_a_failing_run_raises_and_the_thread_runs_the_next(redis_srv: RedisServer) -> None:
    settings = _settings(redis_srv)

    async def fail(_redis: Redis) -> None:
        raise ValueError("boom")

    async def answer(redis: Redis) -> bool:
        return bool(await redis.ping())

    with ThreadPoolExecutor(1) as pool:
        error = pool.submit(lambda: thread_loop(settings).run(fail)).exception()
        assert isinstance(error, ValueError)
        assert pool.submit(lambda: thread_loop(settings).run(answer)).result() is True
