"""Lost workers: their jobs resume elsewhere from the journal, without repeating model calls;
a tool cut short runs again only if it says it is idempotent."""

from __future__ import annotations

import asyncio
import os
import signal
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.client import job_socket, start_job
from tests.support.durable import answer_frame, assert_one_transcript, job_events, model_env
from tests.support.fake_openai import FakeOpenAI
from tests.support.stack import celery_worker, wait_until

pytestmark = pytest.mark.heavy


def _wait_for_calls(model: FakeOpenAI, count: int) -> None:
    wait_until(lambda: len(model.requests) >= count, 20, f"model call {count}")


def _worker_pid(record: dict[str, Any]) -> int:
    # Workers are named agentjobs-<pid>@<host> (see cli/main.py).
    return int(str(record["worker"]).split("@")[0].removeprefix("agentjobs-"))


@pytest.mark.timeout(300)  # ten kills and ten worker starts: over 120 s on a slow machine
async def test_lost_workers_resume_learning_chats_without_repeating_model_calls(
    durable_api: str, isolated_db: str, logs_dir: Path, fake_model: FakeOpenAI
) -> None:
    fake_model.delay = 0.3
    # A lease long enough that a busy machine never starves a healthy worker out of its job.
    env = {**model_env(fake_model), "AGENTJOBS_LEASE_SECONDS": "3"}
    with ExitStack() as workers:

        def add_worker(n: int) -> None:
            log = logs_dir / f"worker-resume-{n}.log"
            workers.enter_context(celery_worker(isolated_db, log, 2, **env))

        add_worker(0)
        add_worker(1)
        async with httpx.AsyncClient(base_url=durable_api, timeout=10) as http:
            for run in range(10):
                before = len(fake_model.requests)
                job_id = await start_job(http, "learning_chat_resumable")
                async with job_socket(durable_api, job_id) as ws:
                    question = await ws.until("text_input")
                    await ws.send(answer_frame(question, "π"))
                    # Kill during the third model call (or the fourth, varying by run).
                    await asyncio.to_thread(_wait_for_calls, fake_model, before + 3 + run % 2)
                    record = (await http.get(f"/jobs/{job_id}")).json()
                    os.kill(_worker_pid(record), signal.SIGKILL)
                    end = await ws.until_end()
                add_worker(run + 2)
                assert end["type"] == "workflow_completed", end
                record = (await http.get(f"/jobs/{job_id}")).json()
                resumes = record["attempt"] - 1
                assert resumes >= 1
                events = await job_events(http, job_id)
                assert_one_transcript(events)
                agent_messages = [
                    e for e in events if e["type"] == "text_message" and e["sender"] != "agentjobs"
                ]
                assert len(agent_messages) == 4  # the same as an uninterrupted run
                # Each journaled call was served once; only a call in flight when a worker was
                # lost ran again (one per resume; one in all unless the machine starved a lease).
                assert len(fake_model.requests) - before == 4 + resumes


@pytest.mark.parametrize(
    ("workflow", "completes"), [("fragile_tool", False), ("idempotent_tool", True)]
)
async def test_a_tool_cut_short_by_a_crash_runs_again_only_if_idempotent(
    durable_api: str, isolated_db: str, logs_dir: Path, workflow: str, completes: bool
) -> None:
    env = {"AGENTJOBS_LEASE_SECONDS": "1.5"}
    async with httpx.AsyncClient(base_url=durable_api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / f"worker-{workflow}-1.log", 1, **env) as w:
            job_id = await start_job(http, workflow, seconds=1.5)
            async with job_socket(durable_api, job_id) as ws:
                await ws.until("progress")
                w.send_signal(signal.SIGKILL)
                w.wait()
                with celery_worker(isolated_db, logs_dir / f"worker-{workflow}-2.log", 1, **env):
                    end = await ws.until_end()
        events = await job_events(http, job_id)
    if completes:
        assert end["type"] == "workflow_completed" and end["result"] == "worked 1.5 s"
    else:
        assert end["type"] == "workflow_failed" and end["reason"] == "exception"
        assert "not run again" in end["error"]
    assert [e["type"] for e in events].count("progress") == 1
    assert_one_transcript(events)
