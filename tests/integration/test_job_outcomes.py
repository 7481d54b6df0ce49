"""Secrets stay out of the log, failures are clear, and the Celery state follows the job."""

from __future__ import annotations

import asyncio
import json

import httpx
from redis.asyncio import Redis

from agentjobs.keys import RUN_WORKFLOW_TASK, workflow_queue
from agentjobs.versions import DEFAULT_VERSION
from tests.support.client import job_socket, start_job
from tests.support.stack import RedisServer, wait_until


def _celery_state(redis_srv: RedisServer, job_id: str) -> dict[str, object]:
    raw = redis_srv.client().get(f"celery-task-meta-{job_id}")
    meta: dict[str, object] = json.loads(raw) if raw else {"status": None}
    return meta


async def test_a_password_answer_reaches_the_workflow_but_never_the_log(
    http: httpx.AsyncClient, api_url: str, redis_srv: RedisServer
) -> None:
    job_id = await start_job(http, "secret_echo")
    async with job_socket(api_url, job_id) as ws:
        request = await ws.until("text_input")
        assert request["password"] is True
        # The worker mirrors the state into Celery's backend right after publishing the request.
        wait_until(
            lambda: _celery_state(redis_srv, job_id)["status"] == "AWAITING_INPUT",
            5,
            "AWAITING_INPUT in the result backend",
        )
        state = _celery_state(redis_srv, job_id)
        assert state["result"]["request_id"] == request["request_id"]  # type: ignore[index]
        # The extended result names the run, as Celery's own writes do.
        assert (state["name"], state["args"]) == (RUN_WORKFLOW_TASK, [job_id, "secret_echo"])
        assert state["worker"] and state["queue"] == workflow_queue("secret_echo", DEFAULT_VERSION)

        await ws.send({"type": "input", "request_id": request["request_id"], "value": "hunter2"})
        received = await ws.until("input_received")
        end = await ws.until_end()
    assert received["value"] == "********"
    assert end["result"] == "got a token of 7 characters"
    log = (await http.get(f"/jobs/{job_id}/events")).text
    assert "hunter2" not in log
    wait_until(lambda: _celery_state(redis_srv, job_id)["status"] == "SUCCESS", 5, "SUCCESS")


async def test_a_run_publishes_celerys_started_then_success_states(
    http: httpx.AsyncClient, redis_srv: RedisServer
) -> None:
    """What Flower and ``AsyncResult`` follow: the start script writes ``STARTED`` in Celery's
    format (Celery's own write is off for it), Celery writes ``SUCCESS``."""
    seen: list[dict[str, object]] = []
    client = Redis.from_url(redis_srv.url, decode_responses=True)
    async with client, client.pubsub() as pubsub:
        await pubsub.psubscribe("celery-task-meta-*")
        assert (await pubsub.get_message(timeout=5))["type"] == "psubscribe"  # type: ignore[index]
        job_id = await start_job(http, "chatty", count=2)
        async with asyncio.timeout(30):
            while not seen or seen[-1]["status"] != "SUCCESS":
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                if message and message["channel"] == f"celery-task-meta-{job_id}":
                    seen.append(json.loads(message["data"]))
    assert [state["status"] for state in seen] == ["STARTED", "SUCCESS"]
    started = seen[0]
    assert started["task_id"] == job_id and started["date_done"] is None
    assert started["result"] == {"pid": started["result"]["pid"], "hostname": started["worker"]}  # type: ignore[index]
    assert (started["name"], started["args"]) == (RUN_WORKFLOW_TASK, [job_id, "chatty"])
    assert started["queue"] == workflow_queue("chatty", DEFAULT_VERSION)
    assert seen[1]["result"] == 2


async def test_a_failing_workflow_ends_failed_with_its_error(
    http: httpx.AsyncClient, api_url: str, redis_srv: RedisServer
) -> None:
    job_id = await start_job(http, "failing")
    async with job_socket(api_url, job_id) as ws:
        end = await ws.until_end()
    assert end["type"] == "workflow_failed"
    assert end["reason"] == "exception"
    assert "the workflow broke on purpose" in end["error"]
    record = (await http.get(f"/jobs/{job_id}")).json()
    assert record["status"] == "failed" and record["reason"] == "exception"
    assert "ValueError" in record["error"]
    wait_until(lambda: _celery_state(redis_srv, job_id)["status"] == "FAILURE", 5, "FAILURE")
    failure = _celery_state(redis_srv, job_id)
    assert failure["result"]["exc_type"] == "WorkflowError"  # type: ignore[index]
    assert (failure["name"], failure["args"]) == (RUN_WORKFLOW_TASK, [job_id, "failing"])


async def test_a_message_only_workflow_returns_its_result(
    http: httpx.AsyncClient, api_url: str
) -> None:
    job_id = await start_job(http, "chatty", count=5)
    async with job_socket(api_url, job_id) as ws:
        end = await ws.until_end()
    messages = [e["content"] for e in ws.events if e["type"] == "text_message"]
    assert messages == [f"message {n}" for n in range(5)]
    assert end["result"] == 5
