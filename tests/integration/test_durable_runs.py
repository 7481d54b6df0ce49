"""Durable runs: a waiting job holds no worker, its answer resumes it by replay on any worker.

Resuming after a lost worker: test_durable_resume.py; a thousand waiting jobs:
test_durable_scale.py.
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.support.client import job_socket, start_job
from tests.support.durable import (
    DURABLE,
    answer_frame,
    assert_one_transcript,
    job_events,
    model_env,
)
from tests.support.fake_openai import FakeOpenAI
from tests.support.stack import celery_worker, wait_until


def _suspended(http: httpx.Client, job_id: str) -> bool:
    record = http.get(f"/jobs/{job_id}").json()
    return bool(record["suspended"]) and record["status"] == "awaiting_input"


async def test_a_waiting_job_holds_no_worker_and_survives_a_worker_kill(
    durable_api: str, isolated_db: str, logs_dir: Path
) -> None:
    async with httpx.AsyncClient(base_url=durable_api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / "worker-durable-1.log", 1, **DURABLE) as w:
            waiting = await start_job(http, "learning_chat")
            with httpx.Client(base_url=durable_api) as sync_http:
                wait_until(lambda: _suspended(sync_http, waiting), 10, "the job to suspend")
            # One slot only, and it is free: another job runs to the end meanwhile.
            other = await start_job(http, "chatty", count=2)
            async with job_socket(durable_api, other) as ws:
                assert (await ws.until_end())["type"] == "workflow_completed"
            w.send_signal(signal.SIGKILL)
            w.wait()

        with celery_worker(isolated_db, logs_dir / "worker-durable-2.log", 1, **DURABLE):
            record = (await http.get(f"/jobs/{waiting}")).json()
            assert record["status"] == "awaiting_input", record
            answer = {"request_id": record["pending"]["request_id"], "value": "fractions"}
            assert (await http.post(f"/jobs/{waiting}/input", json=answer)).status_code == 200
            async with job_socket(durable_api, waiting) as ws:
                end = await ws.until_end()
        events = await job_events(http, waiting)
    assert end["type"] == "workflow_completed" and "fractions" in end["result"]
    assert_one_transcript(events)
    senders = {e.get("sender") for e in events if e["type"] == "text_message"}
    assert {"Student", "Teacher"} <= senders


async def test_a_question_mid_team_resumes_without_calling_the_model_again(
    durable_api: str, isolated_db: str, logs_dir: Path, fake_model: FakeOpenAI
) -> None:
    env = {**DURABLE, **model_env(fake_model)}
    async with httpx.AsyncClient(base_url=durable_api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / "worker-durable-team.log", 2, **env):
            job_id = await start_job(http, "trip_planner")
            async with job_socket(durable_api, job_id) as ws:
                choice = await ws.until("multiple_choice")
                await ws.send(answer_frame(choice, "Tokyo"))
                question = await ws.until("text_input")
                with httpx.Client(base_url=durable_api) as sync_http:
                    wait_until(lambda: _suspended(sync_http, job_id), 10, "the job to suspend")
                calls_before = len(fake_model.requests)
                await ws.send(answer_frame(question, "ok"))
                end = await ws.until_end()
        events = await job_events(http, job_id)
    assert question["sender"] == "Traveler"
    assert end["type"] == "workflow_completed" and "Tokyo" in end["result"]
    # The tool call and the plan came from the journal on the replay: no new model calls.
    assert calls_before == 2 and len(fake_model.requests) == 2
    assert_one_transcript(events)
    assert [e["type"] for e in events].count("tool_call") == 1
    assert [e["type"] for e in ws.events] == [e["type"] for e in events]


async def test_a_suspended_question_still_times_out(
    durable_api: str, isolated_db: str, logs_dir: Path
) -> None:
    async with httpx.AsyncClient(base_url=durable_api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / "worker-durable-timeout.log", 1, **DURABLE):
            job_id = await start_job(http, "hasty")
            async with job_socket(durable_api, job_id) as ws:
                end = await ws.until_end()
    assert end["type"] == "workflow_failed" and end["reason"] == "input_timeout"
    assert "suspended" in end["error"]


async def test_a_replay_that_takes_another_path_fails_as_nondeterministic(
    durable_api: str, isolated_db: str, logs_dir: Path
) -> None:
    async with httpx.AsyncClient(base_url=durable_api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / "worker-durable-diverge.log", 1, **DURABLE):
            job_id = await start_job(http, "diverging")
            async with job_socket(durable_api, job_id) as ws:
                question = await ws.until("text_input")
                with httpx.Client(base_url=durable_api) as sync_http:
                    wait_until(lambda: _suspended(sync_http, job_id), 10, "the job to suspend")
                await ws.send(answer_frame(question, "x"))
                end = await ws.until_end()
    assert end["type"] == "workflow_failed" and end["reason"] == "nondeterministic"
    assert "different path" in end["error"]
