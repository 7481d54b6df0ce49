"""Trimmed logs refuse cursors they cannot honour (410, close 4410); finished jobs expire."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from agentjobs import keys
from agentjobs.protocol import cursor_key
from tests.support.client import job_socket, start_job, ws_url
from tests.support.stack import api_server, celery_worker

MAXLEN = 100
MESSAGES = 1000
RETENTION = 120
ENV = {
    "AGENTJOBS_EVENT_LOG_MAXLEN": str(MAXLEN),
    "AGENTJOBS_RETENTION_SECONDS": str(RETENTION),
    # The watcher below must not fall back to the (trimmed) log: room for every live event.
    "AGENTJOBS_SOCKET_QUEUE_SIZE": str(MESSAGES * 2),
}


@pytest.fixture
def store(isolated_db: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(isolated_db, decode_responses=True)
    yield client
    client.close()


async def test_a_cursor_older_than_the_trimmed_log_is_refused_clearly(
    isolated_db: str, tmp_path: Path
) -> None:
    with api_server(isolated_db, tmp_path / "api-trim.log", **ENV) as api:
        async with httpx.AsyncClient(base_url=api, timeout=30) as http:
            # Publish the catalog, then queue the job with no worker: its log starts untrimmed.
            with celery_worker(isolated_db, tmp_path / "worker-trim-catalog.log", concurrency=1):
                pass
            job_id = await start_job(http, "chatty", count=MESSAGES)
            # No worker is up: "waiting for a worker" may follow the job_queued event.
            queued = (await http.get(f"/jobs/{job_id}/events")).json()["events"][0]
            assert queued["type"] == "job_queued", queued
            async with job_socket(api, job_id, after=queued["id"]) as watcher:
                with celery_worker(isolated_db, tmp_path / "worker-trim.log", **ENV):
                    end = await watcher.until_end()
            assert end["type"] == "workflow_completed"
            # A watcher that keeps up gets every event, however much of the log was trimmed.
            contents = [e["content"] for e in watcher.events if e["type"] == "text_message"]
            assert contents == [f"message {n}" for n in range(MESSAGES)]

            for cursor in (queued["id"], "0"):
                gone = await http.get(f"/jobs/{job_id}/events", params={"after": cursor})
                assert gone.status_code == 410, gone.text
                assert "cursor too old" in gone.json()["detail"]
            resume_after = gone.json()["resume_after"]
            rest = await http.get(f"/jobs/{job_id}/events", params={"after": resume_after})
            assert rest.status_code == 200
            kept = rest.json()["events"]
            assert MAXLEN <= len(kept) < MESSAGES
            tail = [e for e in watcher.events if cursor_key(e["id"]) > cursor_key(resume_after)]
            assert kept == tail

            async with connect(ws_url(api, job_id, queued["id"]), open_timeout=10) as conn:
                with pytest.raises(ConnectionClosed) as closed:
                    await conn.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4410
            assert "cursor too old" in closed.value.rcvd.reason
            async with job_socket(api, job_id, after=resume_after) as late:
                await late.until_end()
            assert late.events == kept
    assert "Traceback" not in (tmp_path / "api-trim.log").read_text()


async def test_finished_jobs_expire_after_the_retention_period_and_running_ones_never(
    isolated_db: str, tmp_path: Path, store: redis.Redis
) -> None:
    with (
        celery_worker(isolated_db, tmp_path / "worker-retention.log", **ENV),
        api_server(isolated_db, tmp_path / "api-retention.log", **ENV) as api,
    ):
        async with httpx.AsyncClient(base_url=api, timeout=30) as http:
            finished = await start_job(http, "chatty", count=3)
            waiting = await start_job(http, "learning_chat")
            async with job_socket(api, finished) as ws:
                await ws.until_end()
            async with job_socket(api, waiting) as ws:
                await ws.until("text_input")
                for key in (keys.job(waiting), keys.events(waiting)):
                    assert store.ttl(key) == -1, key  # no expiry while the job is alive
                assert (await http.post(f"/jobs/{waiting}/cancel")).status_code == 200
                await ws.until_end()
    for job_id in (finished, waiting):
        for key in (keys.job(job_id), keys.events(job_id)):
            assert 0 < store.ttl(key) <= RETENTION, key
