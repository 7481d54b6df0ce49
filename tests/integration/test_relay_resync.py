"""A short Redis restart under a live watcher: the watcher's transcript equals the log.

Reproduces issue 14's first report: redis-py's PubSub reconnected and resubscribed inside the
relay's read, so the relay never resynced and what was published meanwhile was silently lost.
``AGENTJOBS_RESTART_TRIALS`` runs more trials (the issue's acceptance is 10).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from agentjobs.protocol import TERMINAL_TYPES
from tests.integration.test_redis_restart import RestartableRedis
from tests.support.client import logged_ids, start_job, ws_url
from tests.support.stack import api_server, celery_worker

TRIALS = int(os.environ.get("AGENTJOBS_RESTART_TRIALS", "2"))
DOWNTIMES = [1.0 + 4.0 * i / max(TRIALS - 1, 1) for i in range(TRIALS)]  # 1 s .. 5 s


async def _watch(api: str, job_id: str, first_event: asyncio.Event) -> list[str]:
    """Follow the job like a client does: reconnect from the last cursor if the socket drops."""
    seen: list[str] = []
    while True:
        try:
            async with connect(ws_url(api, job_id, seen[-1] if seen else "0")) as ws:
                async for raw in ws:
                    frame = json.loads(raw)
                    if "id" not in frame:
                        continue
                    seen.append(frame["id"])
                    if frame["type"] == "text_message":
                        first_event.set()
                    if frame["type"] in TERMINAL_TYPES:
                        return seen
        except (ConnectionClosed, OSError):
            await asyncio.sleep(0.2)  # Redis (or the API's store) is still coming back


@pytest.mark.timeout(60 + 30 * TRIALS)
async def test_a_live_watcher_misses_nothing_across_redis_restarts(
    tmp_path: Path, logs_dir: Path
) -> None:
    redis = RestartableRedis(tmp_path / "aof")
    redis.start()
    try:
        with (
            celery_worker(redis.url, logs_dir / "worker-relay-resync.log", concurrency=2),
            api_server(redis.url, logs_dir / "api-relay-resync.log") as api,
        ):
            async with httpx.AsyncClient(base_url=api, timeout=30) as http:
                for downtime in DOWNTIMES:
                    # 10 messages a second for 8 s: the restart falls in the middle.
                    job_id = await start_job(http, "chatty", count=80, pause_ms=100)
                    first = asyncio.Event()
                    watcher = asyncio.create_task(_watch(api, job_id, first))
                    await asyncio.wait_for(first.wait(), 30)
                    await asyncio.sleep(1.0)  # let the watcher be well into the live stream
                    await asyncio.to_thread(redis.stop)
                    await asyncio.sleep(downtime)  # the outage itself, not a synchronisation
                    await asyncio.to_thread(redis.start)
                    seen = await asyncio.wait_for(watcher, 90)
                    logged = await logged_ids(http, job_id)
                    assert seen == logged, (
                        f"downtime {downtime:.1f} s: the watcher saw {len(seen)} events,"
                        f" the log holds {len(logged)}; missing {sorted(set(logged) - set(seen))}"
                    )
                    record = (await http.get(f"/jobs/{job_id}")).json()
                    assert record["status"] == "succeeded", record
    finally:
        if redis.proc is not None and redis.proc.poll() is None:
            redis.stop()
