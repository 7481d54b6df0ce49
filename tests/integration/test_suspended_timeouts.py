"""A suspended job whose question goes unanswered is failed by the reaper, and counted."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.client import job_socket, start_job
from tests.support.metrics import scrape, value
from tests.support.stack import api_server, celery_worker

SUSPEND_AT_ONCE = {"AGENTJOBS_SUSPEND_AFTER_SECONDS": "0", "AGENTJOBS_LEASE_SECONDS": "1.5"}


async def test_an_expired_question_fails_the_suspended_job(
    isolated_db: str, logs_dir: Path
) -> None:
    reaper = {"AGENTJOBS_REAPER_INTERVAL_SECONDS": "0.3"}
    with (
        api_server(isolated_db, logs_dir / "api-expiry.log", **reaper) as api,
        celery_worker(isolated_db, logs_dir / "worker-expiry.log", 2, **SUSPEND_AT_ONCE),
    ):
        async with httpx.AsyncClient(base_url=api, timeout=10) as http:
            job_id = await start_job(http, "impatient")  # asks with a 0.5 s timeout
            async with job_socket(api, job_id) as ws:
                end = await ws.until_end()
            record = (await http.get(f"/jobs/{job_id}")).json()
            samples = await scrape(http)
    assert (end["type"], end["reason"]) == ("workflow_failed", "input_timeout"), end
    assert record["suspended"] is False and record["status"] == "failed"
    finished = "agentjobs_jobs_finished_total"
    assert value(samples, finished, workflow="impatient", outcome="failed") == 1
    # No worker held it when it expired: the reaper ended it.
    assert f"job {job_id} suspended" in (logs_dir / "worker-expiry.log").read_text()
