"""Blocking reads wait as long as asked (redis-py 8 would time out after 5 s by default)."""

from __future__ import annotations

from agentjobs.connection import connect
from agentjobs.settings import RedisSettings
from tests.support.stack import RedisServer


async def test_a_blocking_pop_longer_than_the_default_socket_timeout_returns_empty(
    redis_srv: RedisServer,
) -> None:
    client = connect(RedisSettings(redis_url=redis_srv.url))
    try:
        assert await client.blpop(["agentjobs:test:nothing"], timeout=6) is None
    finally:
        await client.aclose()
