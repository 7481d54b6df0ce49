"""Stream chunks live in the job's partial stream, not its log, until the sender's message."""

from __future__ import annotations

from typing import cast

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.protocol import Progress, StreamChunk, WorkflowFailed, cursor_key
from tests.agentjobs.scripts.jobs import MAXLEN, RETENTION, entries, queued, record, started
from tests.agentjobs.scripts.runs import Run


async def _run(redis: Redis) -> Run:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    return Run(redis, job_id)


async def _partial(redis: Redis, job_id: str) -> list[tuple[str, dict[str, str]]]:
    return cast(list[tuple[str, dict[str, str]]], await redis.xrange(keys.partial(job_id)))


async def test_chunks_stay_out_of_the_log_and_take_cursors_between_its_events(
    redis: Redis,
) -> None:
    run = await _run(redis)
    logged_before = [eid for eid, _ in await entries(redis, run.job_id)]
    cursors = [await run.chunk(f"part {n} ") for n in range(50)]
    after = await run.emit(Progress(job_id=run.job_id, content="still thinking"))
    more = await run.chunk("tail")
    log = await entries(redis, run.job_id)
    assert [f["t"] for _, f in log] == ["job_queued", "workflow_started", "progress"]
    stored = await _partial(redis, run.job_id)
    assert [eid for eid, _ in stored] == [*cursors, more]
    assert stored[0][1]["s"] == "bot" and stored[0][1]["t"] == "stream_chunk"
    # One increasing order across both streams: the reader merges them by cursor.
    order = [*logged_before, *cursors, after, more]
    assert sorted(order, key=cursor_key) == order and len(set(order)) == len(order)
    assert (await record(redis, run.job_id))["emitted"] == "52"


async def test_a_chunk_is_published_live_with_its_cursor(redis: Redis) -> None:
    run = await _run(redis)
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.live(run.job_id))
    assert (await pubsub.get_message(timeout=5))["type"] == "subscribe"  # type: ignore[index]
    cursor = await run.chunk("Hel")
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
    await pubsub.aclose()
    assert message is not None
    assert message["data"].startswith(f'stream_chunk {{"id":"{cursor}",')
    assert '"content":"Hel"' in message["data"]


async def test_the_senders_message_drops_its_chunks(redis: Redis) -> None:
    run = await _run(redis)
    for part in ("Hel", "lo"):
        await run.chunk(part)
    await run.message("an aside", sender="other")
    assert len(await _partial(redis, run.job_id)) == 2
    await run.message("Hello")
    assert not await redis.exists(keys.partial(run.job_id))
    assert "partial_from" not in await record(redis, run.job_id)
    types = [f["t"] for _, f in await entries(redis, run.job_id)]
    assert types == ["job_queued", "workflow_started", "text_message", "text_message"]


async def test_with_two_senders_streaming_a_message_drops_only_its_senders_chunks(
    redis: Redis,
) -> None:
    run = await _run(redis)
    await run.chunk("a1", sender="alice")
    kept = await run.chunk("b1", sender="bob")
    await run.chunk("a2", sender="alice")
    await run.message("a1a2", sender="alice")
    assert [eid for eid, _ in await _partial(redis, run.job_id)] == [kept]
    await run.message("b1", sender="bob")
    assert not await redis.exists(keys.partial(run.job_id))


async def test_a_replayed_chunk_is_dropped(redis: Redis) -> None:
    run = await _run(redis)
    await run.chunk("once")
    run.seq = 0  # a second attempt replays the run from the start
    replayed = await scripts.emit(
        redis,
        job_id=run.job_id,
        token="tok",
        event=StreamChunk(job_id=run.job_id, sender="bot", content="once"),
        kind="plain",
        seq=0,
        fields={},
        metrics={},
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )
    assert replayed.outcome is scripts.Write.REPLAYED
    assert len(await _partial(redis, run.job_id)) == 1


async def test_a_message_cut_off_by_the_end_is_kept_as_long_as_the_log(redis: Redis) -> None:
    run = await _run(redis)
    await run.chunk("half a")
    await run.emit(WorkflowFailed(job_id=run.job_id, error="boom", reason="exception"), "terminal")
    assert len(await _partial(redis, run.job_id)) == 1
    # The prelude's finish builds the name from the job's key (it is not among its KEYS).
    assert keys.partial(run.job_id) == keys.job(run.job_id) + ":partial"
    assert 0 < await redis.ttl(keys.partial(run.job_id)) <= RETENTION
    deleted = await scripts.delete(redis, job_id=run.job_id, user="ann")
    assert deleted.outcome is scripts.Deletion.DELETED
    assert not await redis.exists(keys.partial(run.job_id))
