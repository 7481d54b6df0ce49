"""``scripts.emit_batch`` writes back-to-back plain events in one call, as ``emit`` would."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.protocol import Progress, StreamChunk, TextMessage, cursor_key
from backend.event_log import StoredEvent
from tests.agentjobs.scripts.jobs import MAXLEN, entries, queued, record, started


async def _batch(
    redis: Redis, job_id: str, numbered: Sequence[scripts.Numbered], token: str = "tok"
) -> scripts.EmitResult:
    return await scripts.emit_batch(
        redis, job_id=job_id, token=token, events=numbered, maxlen=MAXLEN
    )


def _said(job_id: str, text: str, sender: str = "bot") -> TextMessage:
    return TextMessage(job_id=job_id, sender=sender, content=text)


async def _started(redis: Redis) -> str:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    return job_id


async def test_a_batch_is_logged_in_order_and_published_as_one_message(redis: Redis) -> None:
    job_id = await _started(redis)
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.live(job_id))
    assert (await pubsub.get_message(timeout=5))["type"] == "subscribe"  # type: ignore[index]
    said = [_said(job_id, f"line {n}\nwith a newline") for n in range(5)]
    written = await _batch(redis, job_id, [scripts.Numbered.of(e, n) for n, e in enumerate(said)])
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
    assert await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2) is None
    await pubsub.aclose()
    log = (await entries(redis, job_id))[2:]
    assert [f["t"] for _, f in log] == ["text_message"] * 5
    assert written == scripts.EmitResult(scripts.Write.WRITTEN, cursor=log[-1][0])
    assert message is not None
    live = StoredEvent.all_from_live(message["data"])
    assert [e.id for e in live] == [eid for eid, _ in log]
    assert [TextMessage.model_validate_json(e.json).content for e in live] == [
        e.content for e in said
    ]
    stored = await record(redis, job_id)
    assert stored["emitted"] == "5" and stored["last_event_id"] == log[-1][0]


async def test_a_batch_sent_again_is_written_once(redis: Redis) -> None:
    job_id = await _started(redis)
    first = [scripts.Numbered.of(_said(job_id, str(n)), n) for n in range(3)]
    await _batch(redis, job_id, first)
    # A retry after a lost reply, or a replay that got further: only the new seqs are written.
    again = await _batch(redis, job_id, [*first, scripts.Numbered.of(_said(job_id, "3"), 3)])
    log = (await entries(redis, job_id))[2:]
    assert [TextMessage.model_validate_json(f["e"]).content for _, f in log] == ["0", "1", "2", "3"]
    assert again.cursor == log[-1][0]
    nothing = await _batch(redis, job_id, first)
    assert nothing == scripts.EmitResult(scripts.Write.WRITTEN, cursor="")
    assert (await record(redis, job_id))["emitted"] == "4"


async def test_chunks_in_a_batch_stay_out_of_the_log_until_the_message_drops_them(
    redis: Redis,
) -> None:
    job_id = await _started(redis)
    chunks = [StreamChunk(job_id=job_id, sender="bot", content=c) for c in ("Hel", "lo")]
    events = [*chunks, Progress(job_id=job_id, content="thinking")]
    await _batch(redis, job_id, [scripts.Numbered.of(e, n) for n, e in enumerate(events)])
    partial = await redis.xrange(keys.partial(job_id))
    log = await entries(redis, job_id)
    assert len(partial) == 2 and [f["t"] for _, f in log][2:] == ["progress"]
    order = [partial[0][0], partial[1][0], log[-1][0]]
    assert sorted(order, key=cursor_key) == order
    await _batch(redis, job_id, [scripts.Numbered.of(_said(job_id, "Hello"), 3)])
    assert await redis.exists(keys.partial(job_id)) == 0


async def test_a_batch_without_the_job_is_refused_whole(redis: Redis) -> None:
    job_id = await _started(redis)
    one = [scripts.Numbered.of(_said(job_id, "x"), 0)]
    fenced = await _batch(redis, job_id, one, token="intruder")
    assert fenced == scripts.EmitResult(scripts.Write.FENCED, status="running")
    assert len(await entries(redis, job_id)) == 2
    missing = await _batch(redis, "nope", one)
    assert missing == scripts.EmitResult(scripts.Write.MISSING)
