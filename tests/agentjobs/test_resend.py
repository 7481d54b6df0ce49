"""The claim-unsent script hands the reaper only jobs that are due, still queued and unstarted."""

from __future__ import annotations

import redis
from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.scripts.resend import claim_unsent, sent


async def test_only_due_queued_unstarted_jobs_are_claimed_once_per_check(isolated_db: str) -> None:
    sync = redis.Redis.from_url(isolated_db, decode_responses=True)
    for job_id, status, attempt in [
        ("new", "queued", "0"),
        ("began", "running", "1"),
        ("cancelled", "cancelled", "0"),
        ("later", "queued", "0"),
    ]:
        sync.hset(
            keys.job(job_id), mapping={"status": status, "attempt": attempt, "workflow": "wf"}
        )
    sync.zadd(keys.SENDING, {"new": 0, "began": 0, "cancelled": 0, "gone": 0})
    sync.zadd(keys.SENDING, {"later": 2**52})  # not due yet
    client = Redis.from_url(isolated_db, decode_responses=True)
    try:
        assert await claim_unsent(client, next_check_ms=60_000) == [("new", "wf")]
        # Claimed entries are due again a check later, not at once (no second reaper sends it).
        assert await claim_unsent(client, next_check_ms=60_000) == []
        assert set(sync.zrange(keys.SENDING, 0, -1)) == {"new", "later"}
        await sent(client, "new")
        assert sync.zrange(keys.SENDING, 0, -1) == ["later"]
    finally:
        await client.aclose()
        sync.close()
