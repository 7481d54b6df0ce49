"""Deadlines with a default: at the deadline the default answers the request (an
``input_received`` from the deadline), also for a suspended job no worker holds."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.client import job_socket, start_job
from tests.support.durable import DURABLE
from tests.support.stack import celery_worker


async def test_a_held_request_takes_its_default_at_the_deadline(
    http: httpx.AsyncClient, api_url: str
) -> None:
    job_id = await start_job(http, "deadline_question", kind="choice", timeout=0.5, default="no")
    async with job_socket(api_url, job_id) as ws:
        asked = await ws.until("multiple_choice")
        assert asked["default"] == "no" and asked["deadline"] is not None
        received = await ws.until("input_received")
        end = await ws.until_end()
    assert (received["value"], received["source"], received["by"]) == ("no", "deadline", None)
    assert end["type"] == "workflow_completed" and end["result"] == "no"
    # Too late for a person: the deadline took it.
    late = {"request_id": asked["request_id"], "value": "yes"}
    reply = await http.post(f"/jobs/{job_id}/input", json=late)
    assert reply.status_code == 409 and "deadline" in reply.json()["detail"]


async def test_an_approval_without_an_answer_takes_its_default_decision(
    http: httpx.AsyncClient, api_url: str
) -> None:
    job_id = await start_job(http, "deadline_question", kind="approval", timeout=0.5)
    async with job_socket(api_url, job_id) as ws:
        received = await ws.until("input_received")
        end = await ws.until_end()
    assert received["value"] == {"decision": "reject"} and received["source"] == "deadline"
    assert "rejected" in end["result"]  # the tool never ran


async def test_without_a_default_the_job_fails_with_input_timeout(
    http: httpx.AsyncClient, api_url: str
) -> None:
    job_id = await start_job(http, "deadline_question", timeout=0.5, default=None)
    async with job_socket(api_url, job_id) as ws:
        end = await ws.until_end()
    assert end["type"] == "workflow_failed" and end["reason"] == "input_timeout"


async def test_a_suspended_request_takes_its_default_with_no_worker_up(
    durable_api: str, isolated_db: str, logs_dir: Path
) -> None:
    async with httpx.AsyncClient(base_url=durable_api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / "worker-deadline-0.log", 2, **DURABLE):
            job_id = await start_job(http, "deadline_question", timeout=3, default="yes")
            async with job_socket(durable_api, job_id) as ws:
                asked = await ws.until("text_input")
        # The worker is gone; the job waits suspended until the deadline answers it.
        record = (await http.get(f"/jobs/{job_id}")).json()
        assert record["suspended"] and record["status"] == "awaiting_input"
        async with job_socket(durable_api, job_id, after=asked["id"]) as ws:
            received = await ws.until("input_received")
            assert (received["value"], received["source"]) == ("yes", "deadline")
            record = (await http.get(f"/jobs/{job_id}")).json()
            assert record["status"] == "running" and not record["suspended"]
            with celery_worker(isolated_db, logs_dir / "worker-deadline-1.log", 2, **DURABLE):
                end = await ws.until_end()
    assert end["type"] == "workflow_completed" and end["result"] == "yes"
