"""The live catalog: beats counted per workflow, unavailable workflows kept, old ones dropped."""

from __future__ import annotations

import redis
from redis.asyncio import Redis

from agentjobs.protocol import WorkflowInfo
from backend.catalog import FORGET_SECONDS, read_catalog, read_workflow
from worker.lifecycle import beat, leave

NOW = 1_500_000_000.0
ENTRY = {
    name: WorkflowInfo(
        name=name, description=name, params_schema={"type": "object"}
    ).model_dump_json()
    for name in ("alpha", "beta")
}


async def test_workers_are_counted_per_workflow_within_the_live_window(isolated_db: str) -> None:
    sync = redis.Redis.from_url(isolated_db, decode_responses=True)
    beat(sync, "w1", ENTRY, now=NOW - 1)
    beat(sync, "w2", {"alpha": ENTRY["alpha"]}, now=NOW - 1)
    beat(sync, "w-old", {"beta": ENTRY["beta"]}, now=NOW - 100)
    client = Redis.from_url(isolated_db, decode_responses=True)
    try:
        catalog = {w.name: w for w in await read_catalog(client, 10, now=NOW)}
        assert (catalog["alpha"].workers, catalog["alpha"].available) == (2, True)
        assert (catalog["beta"].workers, catalog["beta"].available) == (1, True)
        assert catalog["alpha"].params_schema == {"type": "object"}

        leave(sync, "w1", ENTRY)  # a clean stop: beta's only live worker leaves
        catalog = {w.name: w for w in await read_catalog(client, 10, now=NOW)}
        assert (catalog["beta"].workers, catalog["beta"].available) == (0, False)
        assert catalog["beta"].last_seen is not None
        assert catalog["beta"].last_seen.timestamp() == NOW - 100

        later = NOW + FORGET_SECONDS + 1
        assert await read_catalog(client, 10, now=later) == []  # no worker for a week: dropped
        assert await read_workflow(client, "gamma", 10) is None  # never published
        beat(sync, "w3", ENTRY)  # now: one live worker for each
        alpha = await read_workflow(client, "alpha", 10)
        assert alpha is not None and (alpha.workers, alpha.available) == (1, True)
    finally:
        await client.aclose()
        sync.close()
