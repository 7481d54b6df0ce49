"""The live catalog: beats counted per workflow and version, unavailable workflows kept, old
ones dropped, unfinished jobs per version."""

from __future__ import annotations

import redis
from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import WorkflowInfo
from backend.catalog import FORGET_SECONDS, CatalogCache, read_catalog, read_workflow, runs_on
from worker.lifecycle import Catalog, beat, leave

NOW = 1_500_000_000.0


def entries(version: str = "1", *names: str) -> Catalog:
    info = {
        name: WorkflowInfo(
            name=name,
            description=f"{name} v{version}",
            params_schema={"type": "object", "title": version},
            version=version,
        )
        for name in names or ("alpha", "beta")
    }
    return {name: (version, entry.model_dump_json()) for name, entry in info.items()}


async def test_workers_are_counted_per_workflow_within_the_live_window(isolated_db: str) -> None:
    sync = redis.Redis.from_url(isolated_db, decode_responses=True)
    entry = entries()
    beat(sync, "w1", entry, now=NOW - 1)
    beat(sync, "w2", {"alpha": entry["alpha"]}, now=NOW - 1)
    beat(sync, "w-old", {"beta": entry["beta"]}, now=NOW - 100)
    client = Redis.from_url(isolated_db, decode_responses=True)
    try:
        catalog = {w.name: w for w in await read_catalog(client, 10, now=NOW)}
        assert (catalog["alpha"].workers, catalog["alpha"].available) == (2, True)
        assert (catalog["beta"].workers, catalog["beta"].available) == (1, True)
        assert catalog["alpha"].params_schema == {"type": "object", "title": "1"}

        leave(sync, "w1", entry)  # a clean stop: beta's only live worker leaves
        catalog = {w.name: w for w in await read_catalog(client, 10, now=NOW)}
        assert (catalog["beta"].workers, catalog["beta"].available) == (0, False)
        assert catalog["beta"].last_seen is not None
        assert catalog["beta"].last_seen.timestamp() == NOW - 100

        later = NOW + FORGET_SECONDS + 1
        assert await read_catalog(client, 10, now=later) == []  # no worker for a week: dropped
        assert await read_workflow(client, "gamma", 10) is None  # never published
        beat(sync, "w3", entry)  # now: one live worker for each
        alpha = await read_workflow(client, "alpha", 10)
        assert alpha is not None and (alpha.workers, alpha.available) == (1, True)
    finally:
        await client.aclose()
        sync.close()


async def test_versions_are_listed_with_their_workers_and_unfinished_jobs(isolated_db: str) -> None:
    sync = redis.Redis.from_url(isolated_db, decode_responses=True)
    beat(sync, "old-1", entries("9", "alpha"), now=NOW - 1)
    beat(sync, "old-2", entries("9", "alpha"), now=NOW - 1)
    beat(sync, "new-1", entries("10", "alpha"), now=NOW - 100)  # "10" is newer than "9"
    sync.hset(keys.UNFINISHED, mapping={"alpha@9": 3, "alpha@8": 1, "alpha@x@1": 5})
    client = Redis.from_url(isolated_db, decode_responses=True)
    try:
        (alpha,) = await read_catalog(client, 10, now=NOW)
        listed = [(v.version, v.workers, v.unfinished) for v in alpha.versions]
        assert listed == [("8", 0, 1), ("9", 2, 3), ("10", 0, 0)]
        # v10's only worker is not live: new jobs run on the newest live version, 9.
        assert (alpha.version, alpha.description, runs_on(alpha)) == ("9", "alpha v9", "9")

        beat(sync, "new-1", entries("10", "alpha"), now=NOW - 1)
        (alpha,) = await read_catalog(client, 10, now=NOW)
        assert (alpha.version, alpha.params_schema["title"], runs_on(alpha)) == ("10", "10", "10")
        assert alpha.workers == 3

        for name in ("old-1", "old-2", "new-1"):
            leave(sync, name, entries("9" if name.startswith("old") else "10", "alpha"))
        (alpha,) = await read_catalog(client, 10, now=NOW)
        # None live: the newest published describes it; a new job stays unpinned.
        assert (alpha.version, alpha.available, runs_on(alpha)) == ("10", False, None)
    finally:
        await client.aclose()
        sync.close()


async def test_the_start_path_reuses_an_entry_for_its_ttl_and_a_listing_refreshes_it(
    isolated_db: str,
) -> None:
    sync = redis.Redis.from_url(isolated_db, decode_responses=True)
    client = Redis.from_url(isolated_db, decode_responses=True)
    cache, uncached = CatalogCache(ttl=3600), CatalogCache(ttl=0)
    try:
        assert await cache.workflow(client, "alpha", 10) is None  # not published yet
        beat(sync, "w1", entries())
        found = await cache.workflow(client, "alpha", 10)  # a miss is never kept
        assert found is not None and found.workers == 1
        beat(sync, "w2", entries())
        kept = await cache.workflow(client, "alpha", 10)
        assert kept is not None and kept.workers == 1  # within the ttl: no read
        fresh = await uncached.workflow(client, "alpha", 10)
        assert fresh is not None and fresh.workers == 2
        listed = {w.name: w for w in await cache.catalog(client, 10)}
        assert listed["alpha"].workers == 2
        refreshed = await cache.workflow(client, "alpha", 10)
        assert refreshed is not None and refreshed.workers == 2  # the listing refreshed it
    finally:
        await client.aclose()
        sync.close()
