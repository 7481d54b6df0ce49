"""A page of events merges the log with the chunks of a message still being generated."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from agentjobs.connection import connect
from agentjobs.protocol import Progress, cursor_key
from agentjobs.settings import RedisSettings
from backend.event_log import read_page
from tests.agentjobs.scripts.jobs import queued, started
from tests.agentjobs.scripts.runs import Run


@pytest.fixture
async def redis(isolated_db: str) -> AsyncIterator[Redis]:
    """A client like every agentjobs process opens, on a flushed database."""
    client = connect(RedisSettings(redis_url=isolated_db))
    yield client
    await client.aclose()


async def _streaming(redis: Redis) -> tuple[Run, list[str]]:
    """A job mid-stream: three chunks, a progress report, one more chunk."""
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    run = Run(redis, job_id)
    cursors = [await run.chunk(part) for part in ("The ", "answer ", "is ")]
    cursors.append(await run.emit(Progress(job_id=job_id, content="checking")))
    cursors.append(await run.chunk("42"))
    return run, cursors


async def test_a_page_mid_stream_shows_the_partial_text_in_cursor_order(redis: Redis) -> None:
    run, cursors = await _streaming(redis)
    page = await read_page(redis, run.job_id, "0", None)
    types = [e.type for e in page.events]
    assert types[:2] == ["job_queued", "workflow_started"]
    assert types[2:] == ["stream_chunk"] * 3 + ["progress", "stream_chunk"]
    assert [e.id for e in page.events[2:]] == cursors and not page.more
    assert (
        f'"id":"{cursors[0]}"' in page.events[2].json and '"content":"The "' in page.events[2].json
    )


@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_pages_read_on_from_a_cursor_without_gaps_or_repeats(
    redis: Redis, limit: int
) -> None:
    run, _ = await _streaming(redis)
    whole = [e.id for e in (await read_page(redis, run.job_id, "0", None)).events]
    seen: list[str] = []
    after, more = "0", True
    while more:
        page = await read_page(redis, run.job_id, after, limit)
        assert len(page.events) <= limit
        seen += [e.id for e in page.events]
        after, more = (page.events[-1].id if page.events else after), page.more
    assert seen == whole == sorted(whole, key=cursor_key)


async def test_a_cursor_between_chunks_reads_the_rest(redis: Redis) -> None:
    run, cursors = await _streaming(redis)
    page = await read_page(redis, run.job_id, cursors[1], None)
    assert [e.id for e in page.events] == cursors[2:]


async def test_once_the_message_is_logged_no_chunk_is_read(redis: Redis) -> None:
    run, cursors = await _streaming(redis)
    done = await run.message("The answer is 42")
    page = await read_page(redis, run.job_id, "0", None)
    assert "stream_chunk" not in [e.type for e in page.events]
    assert page.events[-1].id == done and cursor_key(done) > cursor_key(cursors[-1])
    # A reader that had seen chunks goes on from its cursor to the message.
    tail = await read_page(redis, run.job_id, cursors[0], None)
    assert [e.type for e in tail.events] == ["progress", "text_message"]


async def test_a_byte_bound_applies_across_both_streams(redis: Redis) -> None:
    run, _ = await _streaming(redis)
    whole = (await read_page(redis, run.job_id, "0", None)).events
    first = await read_page(redis, run.job_id, whole[1].id, None, max_bytes=1)
    assert [e.id for e in first.events] == [whole[2].id] and first.more
