"""A Redis client on the isolated test database for the script tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from agentjobs.connection import connect
from agentjobs.settings import RedisSettings


@pytest.fixture
async def redis(isolated_db: str) -> AsyncIterator[Redis]:
    """A client like every agentjobs process opens (string replies), on a flushed database."""
    client = connect(RedisSettings(redis_url=isolated_db))
    yield client
    await client.aclose()
