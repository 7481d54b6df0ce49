"""Durable runs: waiting jobs hold no worker, answers resume them by replay, lost workers resume."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.client import job_socket, start_job
from tests.support.fake_openai import FakeOpenAI, fake_openai_server
from tests.support.stack import api_server, celery_worker, wait_until

DURABLE = {
    "AGENTJOBS_SUSPEND_AFTER_SECONDS": "0",
    "AGENTJOBS_LEASE_SECONDS": "1.5",
}


@pytest.fixture
async def api(isolated_db: str, logs_dir: Path) -> AsyncIterator[str]:
    """An API on a database of its own whose reaper looks often."""
    with api_server(
        isolated_db, logs_dir / "api-durable.log", AGENTJOBS_REAPER_INTERVAL_SECONDS="0.3"
    ) as url:
        yield url


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    """A local OpenAI-compatible model that counts the calls it serves."""
    with fake_openai_server() as server:
        yield server


def _model_env(model: FakeOpenAI) -> dict[str, str]:
    return {"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": model.base_url}


def _suspended(http: httpx.Client, job_id: str) -> bool:
    record = http.get(f"/jobs/{job_id}").json()
    return bool(record["suspended"]) and record["status"] == "awaiting_input"


async def _events(http: httpx.AsyncClient, job_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
    return events


def _assert_one_transcript(events: list[dict[str, Any]]) -> None:
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids))
    types = [e["type"] for e in events]
    assert types.count("workflow_started") == 1
    requests = [e["request_id"] for e in events if e["type"] in ("text_input", "multiple_choice")]
    assert len(requests) == len(set(requests)), "a question was asked twice"


async def test_a_waiting_job_holds_no_worker_and_survives_a_worker_kill(
    api: str, isolated_db: str, logs_dir: Path
) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / "worker-durable-1.log", 1, **DURABLE) as w:
            waiting = await start_job(http, "learning_chat")
            with httpx.Client(base_url=api) as sync_http:
                wait_until(lambda: _suspended(sync_http, waiting), 10, "the job to suspend")
            # One slot only, and it is free: another job runs to the end meanwhile.
            other = await start_job(http, "chatty", count=2)
            async with job_socket(api, other) as ws:
                assert (await ws.until_end())["type"] == "workflow_completed"
            w.send_signal(signal.SIGKILL)
            w.wait()

        with celery_worker(isolated_db, logs_dir / "worker-durable-2.log", 1, **DURABLE):
            record = (await http.get(f"/jobs/{waiting}")).json()
            assert record["status"] == "awaiting_input", record
            answer = {"request_id": record["pending"]["request_id"], "value": "fractions"}
            assert (await http.post(f"/jobs/{waiting}/input", json=answer)).status_code == 200
            async with job_socket(api, waiting) as ws:
                end = await ws.until_end()
        events = await _events(http, waiting)
    assert end["type"] == "workflow_completed" and "fractions" in end["result"]
    _assert_one_transcript(events)
    senders = {e.get("sender") for e in events if e["type"] == "text_message"}
    assert {"Student", "Teacher"} <= senders


async def test_a_question_mid_team_resumes_without_calling_the_model_again(
    api: str, isolated_db: str, logs_dir: Path, model: FakeOpenAI
) -> None:
    env = {**DURABLE, **_model_env(model)}
    async with httpx.AsyncClient(base_url=api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / "worker-durable-team.log", 2, **env):
            job_id = await start_job(http, "trip_planner")
            async with job_socket(api, job_id) as ws:
                choice = await ws.until("multiple_choice")
                await ws.send(_answer(choice, "Tokyo"))
                question = await ws.until("text_input")
                with httpx.Client(base_url=api) as sync_http:
                    wait_until(lambda: _suspended(sync_http, job_id), 10, "the job to suspend")
                calls_before = len(model.requests)
                await ws.send(_answer(question, "ok"))
                end = await ws.until_end()
        events = await _events(http, job_id)
    assert question["sender"] == "Traveler"
    assert end["type"] == "workflow_completed" and "Tokyo" in end["result"]
    # The tool call and the plan came from the journal on the replay: no new model calls.
    assert calls_before == 2 and len(model.requests) == 2
    _assert_one_transcript(events)
    assert [e["type"] for e in events].count("tool_call") == 1
    assert [e["type"] for e in ws.events] == [e["type"] for e in events]


async def test_a_suspended_question_still_times_out(
    api: str, isolated_db: str, logs_dir: Path
) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / "worker-durable-timeout.log", 1, **DURABLE):
            job_id = await start_job(http, "hasty")
            async with job_socket(api, job_id) as ws:
                end = await ws.until_end()
    assert end["type"] == "workflow_failed" and end["reason"] == "input_timeout"
    assert "suspended" in end["error"]


async def test_a_replay_that_takes_another_path_fails_as_nondeterministic(
    api: str, isolated_db: str, logs_dir: Path
) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / "worker-durable-diverge.log", 1, **DURABLE):
            job_id = await start_job(http, "diverging")
            async with job_socket(api, job_id) as ws:
                question = await ws.until("text_input")
                with httpx.Client(base_url=api) as sync_http:
                    wait_until(lambda: _suspended(sync_http, job_id), 10, "the job to suspend")
                await ws.send(_answer(question, "x"))
                end = await ws.until_end()
    assert end["type"] == "workflow_failed" and end["reason"] == "nondeterministic"
    assert "different path" in end["error"]


def _answer(request: dict[str, Any], value: str) -> dict[str, Any]:
    return {"type": "input", "request_id": request["request_id"], "value": value}


def _reply(record: dict[str, Any], value: str) -> dict[str, Any]:
    """The body of ``POST /jobs/{id}/input`` answering the job's pending request."""
    return {"request_id": record["pending"]["request_id"], "value": value}


def _wait_for_calls(model: FakeOpenAI, count: int) -> None:
    wait_until(lambda: len(model.requests) >= count, 20, f"model call {count}")


def _worker_pid(record: dict[str, Any]) -> int:
    # Workers are named agentjobs-<pid>@<host> (see cli/main.py).
    return int(str(record["worker"]).split("@")[0].removeprefix("agentjobs-"))


async def test_lost_workers_resume_learning_chats_without_repeating_model_calls(
    api: str, isolated_db: str, logs_dir: Path, model: FakeOpenAI
) -> None:
    model.delay = 0.3
    # A lease long enough that a busy machine never starves a healthy worker out of its job.
    env = {**_model_env(model), "AGENTJOBS_LEASE_SECONDS": "3"}
    with ExitStack() as workers:

        def add_worker(n: int) -> None:
            log = logs_dir / f"worker-resume-{n}.log"
            workers.enter_context(celery_worker(isolated_db, log, 2, **env))

        add_worker(0)
        add_worker(1)
        async with httpx.AsyncClient(base_url=api, timeout=10) as http:
            for run in range(10):
                before = len(model.requests)
                job_id = await start_job(http, "learning_chat_resumable")
                async with job_socket(api, job_id) as ws:
                    question = await ws.until("text_input")
                    await ws.send(_answer(question, "π"))
                    # Kill during the third model call (or the fourth, varying by run).
                    await asyncio.to_thread(_wait_for_calls, model, before + 3 + run % 2)
                    record = (await http.get(f"/jobs/{job_id}")).json()
                    os.kill(_worker_pid(record), signal.SIGKILL)
                    end = await ws.until_end()
                add_worker(run + 2)
                assert end["type"] == "workflow_completed", end
                record = (await http.get(f"/jobs/{job_id}")).json()
                resumes = record["attempt"] - 1
                assert resumes >= 1
                events = await _events(http, job_id)
                _assert_one_transcript(events)
                agent_messages = [
                    e for e in events if e["type"] == "text_message" and e["sender"] != "agentjobs"
                ]
                assert len(agent_messages) == 4  # the same as an uninterrupted run
                # Each journaled call was served once; only a call in flight when a worker was
                # lost ran again (one per resume; one in all unless the machine starved a lease).
                assert len(model.requests) - before == 4 + resumes


@pytest.mark.parametrize(
    ("workflow", "completes"), [("fragile_tool", False), ("idempotent_tool", True)]
)
async def test_a_tool_cut_short_by_a_crash_runs_again_only_if_idempotent(
    api: str, isolated_db: str, logs_dir: Path, workflow: str, completes: bool
) -> None:
    env = {"AGENTJOBS_LEASE_SECONDS": "1.5"}
    async with httpx.AsyncClient(base_url=api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / f"worker-{workflow}-1.log", 1, **env) as w:
            job_id = await start_job(http, workflow, seconds=1.5)
            async with job_socket(api, job_id) as ws:
                await ws.until("progress")
                w.send_signal(signal.SIGKILL)
                w.wait()
                with celery_worker(isolated_db, logs_dir / f"worker-{workflow}-2.log", 1, **env):
                    end = await ws.until_end()
        events = await _events(http, job_id)
    if completes:
        assert end["type"] == "workflow_completed" and end["result"] == "worked 1.5 s"
    else:
        assert end["type"] == "workflow_failed" and end["reason"] == "exception"
        assert "not run again" in end["error"]
    assert [e["type"] for e in events].count("progress") == 1
    _assert_one_transcript(events)


def _threads_and_rss(pid: int) -> tuple[int, int]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0]) * 1024


async def _gather_limited(calls: list[Any], limit: int = 50) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Any) -> Any:
        async with gate:
            return await call

    return await asyncio.gather(*(one(call) for call in calls))


def _statuses(api: str, count: int) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=api, timeout=30) as http:
        for offset in range(0, count, 200):
            page = http.get("/jobs", params={"offset": offset, "limit": 200}).json()
            records |= {job["job_id"]: job for job in page["jobs"]}
    return records


async def _wait_for_jobs(api: str, count: int, what: str, check: Any) -> None:
    def holds() -> bool:
        records = _statuses(api, count)
        return len(records) == count and all(check(r) for r in records.values())

    await asyncio.to_thread(wait_until, holds, 120, what)


async def _start_waiting(http: httpx.AsyncClient, api: str, count: int, total: int) -> list[str]:
    created = await _gather_limited(
        [http.post("/jobs", json={"workflow": "secret_echo"}) for _ in range(count)]
    )
    await _wait_for_jobs(api, total, f"{total} suspended jobs", lambda r: r["suspended"])
    return [response.json()["job_id"] for response in created]


async def test_a_thousand_waiting_jobs_on_four_threads(isolated_db: str, logs_dir: Path) -> None:
    env = {"AGENTJOBS_MAX_ACTIVE_JOBS_PER_USER": "0"}
    with api_server(isolated_db, logs_dir / "api-thousand.log", **env) as api:
        # Idle connections are dropped before uvicorn's 5 s keep-alive ends: the long waits
        # below would otherwise leave a pool of connections the server is closing.
        limits = httpx.Limits(keepalive_expiry=1)
        async with httpx.AsyncClient(base_url=api, timeout=30, limits=limits) as http:
            log = logs_dir / "worker-thousand-1.log"
            with celery_worker(isolated_db, log, 4, **DURABLE) as worker:
                ids = await _start_waiting(http, api, 100, 100)
                first = _threads_and_rss(worker.pid)
                ids += await _start_waiting(http, api, 900, 1000)
                then = _threads_and_rss(worker.pid)
                worker.send_signal(signal.SIGKILL)
                worker.wait()
            # Flat: ten times the waiting jobs, no more threads and little more memory.
            assert then[0] == first[0]
            assert then[1] - first[1] < 64 * 1024 * 1024

            with celery_worker(isolated_db, logs_dir / "worker-thousand-2.log", 4, **DURABLE):
                records = _statuses(api, 1000)
                answers = [
                    http.post(f"/jobs/{job_id}/input", json=_reply(records[job_id], "pw"))
                    for job_id in ids
                ]
                assert {r.status_code for r in await _gather_limited(answers)} == {200}
                await _wait_for_jobs(
                    api, 1000, "1,000 finished jobs", lambda r: r["status"] == "succeeded"
                )
            logs = await _gather_limited([http.get(f"/jobs/{job_id}/events") for job_id in ids])
    expected = ["job_queued", "workflow_started", "text_input", "input_received"]
    for response in logs:
        events = response.json()["events"]
        assert [e["type"] for e in events] == [*expected, "workflow_completed"]
        assert events[-1]["result"] == "got a token of 2 characters"
