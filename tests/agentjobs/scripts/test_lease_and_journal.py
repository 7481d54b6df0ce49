"""``scripts.renew_lease`` and ``scripts.append_journal`` act only for the job's holder."""

from __future__ import annotations

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.journal import JournalEntry
from tests.agentjobs.scripts.jobs import queued, redis_ms, started


async def test_the_holder_renews_its_lease_and_the_reaper_index(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok", lease_ms=1_000)
    before = await redis_ms(redis)
    assert await scripts.renew_lease(redis, job_id=job_id, token="tok", lease_ms=60_000)
    assert 1_000 < await redis.pttl(keys.lease(job_id)) <= 60_000
    deadline = await redis.zscore(keys.LEASES, job_id)
    assert deadline is not None and deadline >= before + 60_000


async def test_another_token_renews_nothing(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok", lease_ms=1_000)
    deadline = await redis.zscore(keys.LEASES, job_id)
    assert not await scripts.renew_lease(redis, job_id=job_id, token="other", lease_ms=60_000)
    assert await redis.pttl(keys.lease(job_id)) <= 1_000
    assert await redis.zscore(keys.LEASES, job_id) == deadline


async def test_a_lease_that_lapsed_with_nobody_taking_over_is_taken_back(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok", lease_ms=1_000)
    await redis.delete(keys.lease(job_id))  # Redis was down past the lease
    assert await scripts.renew_lease(redis, job_id=job_id, token="tok", lease_ms=60_000)
    assert await redis.get(keys.lease(job_id)) == "tok"
    await redis.hdel(keys.job(job_id), "token")  # the reaper took the job over
    await redis.delete(keys.lease(job_id))
    assert not await scripts.renew_lease(redis, job_id=job_id, token="tok", lease_ms=60_000)
    assert await redis.exists(keys.lease(job_id)) == 0


async def test_the_journal_takes_entries_from_the_holder_only(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    entry = JournalEntry(kind="tool", fp="call-1", value={"ok": True})
    assert await scripts.append_journal(redis, job_id=job_id, token="tok", entry=entry)
    refused = JournalEntry(kind="clock", fp="t", value=1.5)
    assert not await scripts.append_journal(redis, job_id=job_id, token="other", entry=refused)
    await redis.delete(keys.lease(job_id))  # lapsed while Redis was down; nobody took over
    late = JournalEntry(kind="random", fp="r", value=0.5)
    assert await scripts.append_journal(redis, job_id=job_id, token="tok", entry=late)
    await redis.hdel(keys.job(job_id), "token")  # taken over
    assert not await scripts.append_journal(redis, job_id=job_id, token="tok", entry=refused)
    stored = await redis.lrange(keys.journal(job_id), 0, -1)
    assert [JournalEntry.model_validate_json(raw) for raw in stored] == [entry, late]
