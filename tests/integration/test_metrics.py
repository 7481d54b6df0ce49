"""``GET /metrics`` before and after a real run: counters and histograms move."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from celery import Celery
from prometheus_client.parser import text_string_to_metric_families

from agentjobs import keys
from agentjobs.celery_config import celery_config
from backend.settings import ApiSettings
from tests.support.client import job_socket, start_job
from tests.support.metrics import Samples, scrape, value
from tests.support.stack import api_server


async def test_a_run_moves_the_job_socket_and_queue_metrics(
    http: httpx.AsyncClient, api_url: str
) -> None:
    before = await scrape(http)
    assert ("agentjobs_queue_length", frozenset()) in before

    job_id = await start_job(http, "learning_chat")
    async with job_socket(api_url, job_id) as ws:
        question = await ws.until("text_input")
        during = await scrape(http)
        await ws.send({"type": "input", "request_id": question["request_id"], "value": "stars"})
        end = await ws.until_end()
    assert end["type"] == "workflow_completed", end

    wf = {"workflow": "learning_chat"}
    done = {"workflow": "learning_chat", "outcome": "succeeded"}
    sockets = "agentjobs_websockets_open"
    assert value(during, sockets) >= 1

    def settled(now: Samples) -> bool:
        # The server closes its side of the socket just after the final event: poll for that.
        # The job's end is counted by the very script that wrote the final event.
        return value(now, sockets) < value(during, sockets)

    deadline = time.monotonic() + 15
    after = await scrape(http)
    while not settled(after):
        assert time.monotonic() < deadline, f"/metrics never settled: {after}"
        await asyncio.sleep(0.1)
        after = await scrape(http)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("agentjobs_jobs_started_total", **wf) == 1
    assert moved("agentjobs_jobs_finished_total", **done) == 1
    assert moved("agentjobs_job_duration_seconds_count", **done) == 1
    assert moved("agentjobs_job_duration_seconds_sum", **done) > 0
    assert moved("agentjobs_job_duration_seconds_bucket", le="+Inf", **done) == 1
    assert moved("agentjobs_job_queue_wait_seconds_count", **wf) == 1
    assert moved("agentjobs_input_wait_seconds_count", **wf) == 1
    assert moved("agentjobs_input_wait_seconds_sum", **wf) > 0
    # Every event the socket received was counted as relayed.
    assert moved("agentjobs_events_relayed_total") >= len(ws.events)


def queue_length(client: httpx.Client) -> float:
    lengths = [
        sample.value
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for sample in family.samples
        if sample.name == "agentjobs_queue_length"
    ]
    assert len(lengths) == 1
    return lengths[0]


def test_the_queue_length_counts_tasks_no_worker_took(isolated_db: str, tmp_path: Path) -> None:
    """Run tasks sent where no worker listens show up in ``agentjobs_queue_length``."""
    with (
        api_server(isolated_db, tmp_path / "api.log") as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        before = queue_length(client)
        producer = Celery("metrics-test")
        producer.conf.update(celery_config(ApiSettings(redis_url=isolated_db)))
        for number in range(3):
            producer.send_task(keys.RUN_WORKFLOW_TASK, args=[f"nobody-{number}", "chatty"])
        producer.close()
        assert queue_length(client) == before + 3


async def test_a_cancel_counts_the_job_once_with_the_cancelled_event(
    http: httpx.AsyncClient, api_url: str
) -> None:
    cancelled = {"workflow": "chatty", "outcome": "cancelled"}
    before = await scrape(http)
    job_id = await start_job(http, "chatty", count=10_000, pause_ms=5)
    async with job_socket(api_url, job_id) as ws:
        await ws.until("text_message")
        assert (await http.post(f"/jobs/{job_id}/cancel")).status_code == 200
        assert (await ws.until_end())["type"] == "workflow_cancelled"
    again = await http.post(f"/jobs/{job_id}/cancel")
    assert again.status_code == 409, again.text
    after = await scrape(http)
    finished = "agentjobs_jobs_finished_total"
    assert value(after, finished, **cancelled) - value(before, finished, **cancelled) == 1
    duration = "agentjobs_job_duration_seconds_count"
    assert value(after, duration, **cancelled) - value(before, duration, **cancelled) == 1
