"""Tool approvals in a team: approve, reject and edit each decide how (and whether) the tool
runs, edited arguments are checked against the tool's schema, and a replay after a worker is
killed does not ask again nor run the tool other than decided."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.client import job_socket, start_job
from tests.support.durable import job_events
from tests.support.stack import celery_worker, wait_until


def _runs(counter: Path) -> list[int]:
    """What the tool added, one line per time it ran."""
    return [int(line) for line in counter.read_text().split()] if counter.exists() else []


@pytest.mark.parametrize(
    ("decision", "runs"),
    [
        ({"decision": "approve"}, [2]),
        ({"decision": "reject", "reason": "not today"}, []),
        ({"decision": "edit", "arguments": {"amount": 7}}, [7]),
    ],
)
async def test_each_decision_runs_the_tool_as_decided(
    http: httpx.AsyncClient, api_url: str, tmp_path: Path, decision: dict[str, Any], runs: list[int]
) -> None:
    counter = tmp_path / "counter"
    job_id = await start_job(http, "approval_team", counter_path=str(counter), amount=2)
    async with job_socket(api_url, job_id) as ws:
        asked = await ws.until("tool_approval")
        assert asked["tool"] == "add_to_counter" and asked["arguments"] == {"amount": 2}
        assert asked["sender"] == "Counter" and asked["reason"] == "it changes the counter"
        assert asked["arguments_schema"]["properties"]["amount"]["type"] == "integer"
        assert _runs(counter) == []  # nothing runs before the decision
        answer = {"request_id": asked["request_id"], "value": decision}
        reply = await http.post(f"/jobs/{job_id}/input", json=answer)
        assert reply.status_code == 200, reply.text
        end = await ws.until_end()
        result = next(f for f in ws.events if f["type"] == "tool_result")
    assert end["type"] == "workflow_completed", end
    assert _runs(counter) == runs
    if decision["decision"] == "reject":
        assert "rejected by a human reviewer: not today" in result["content"]
        assert "did not run" in result["content"]
    else:
        assert result["content"] == f"added {runs[0]}"


async def test_edited_arguments_must_fit_the_tools_schema(
    http: httpx.AsyncClient, api_url: str, tmp_path: Path
) -> None:
    counter = tmp_path / "counter"
    job_id = await start_job(http, "approval_team", counter_path=str(counter))
    async with job_socket(api_url, job_id) as ws:
        asked = await ws.until("tool_approval")
        rid = asked["request_id"]
        for bad, named in [
            ({"decision": "edit", "arguments": {"amount": "lots"}}, "arguments.amount"),
            ({"decision": "edit", "arguments": {"amount": 1, "extra": 1}}, "extra"),
            ({"decision": "edit", "arguments": {}}, "amount"),
            ({"decision": "perhaps"}, "decision"),
        ]:
            reply = await http.post(f"/jobs/{job_id}/input", json={"request_id": rid, "value": bad})
            assert reply.status_code == 422, reply.text
            assert named in reply.json()["detail"]
        reply = await http.post(f"/jobs/{job_id}/cancel")
        assert reply.status_code == 200
    assert _runs(counter) == []


async def test_a_replay_after_sigkill_does_not_ask_again(
    durable_api: str, isolated_db: str, logs_dir: Path, tmp_path: Path
) -> None:
    counter = tmp_path / "counter"
    env = {"AGENTJOBS_LEASE_SECONDS": "1.5", "AGENTJOBS_SUSPEND_AFTER_SECONDS": "600"}
    async with httpx.AsyncClient(base_url=durable_api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / "worker-approval-0.log", 2, **env) as first:
            job_id = await start_job(
                http, "approval_team", counter_path=str(counter), follow_up=True
            )
            async with job_socket(durable_api, job_id) as ws:
                asked = await ws.until("tool_approval")
                edit = {"decision": "edit", "arguments": {"amount": 5}}
                answer = {"request_id": asked["request_id"], "value": edit}
                assert (await http.post(f"/jobs/{job_id}/input", json=answer)).status_code == 200
                follow_up = await ws.until("text_input")
                # The worker dies while the job waits (held, not suspended): the reaper
                # hands the job to the next worker, which replays it from the journal.
                os.kill(first.pid, signal.SIGKILL)
                first.wait()
        with celery_worker(isolated_db, logs_dir / "worker-approval-1.log", 2, **env):
            # The replay logs nothing new (what it repeats is dropped): the record shows it
            # back at the follow-up question, the approval answered from the journal.
            def replayed() -> bool:
                record = httpx.get(f"{durable_api}/jobs/{job_id}").json()
                pending = record.get("pending") or {}
                return record["attempt"] >= 2 and pending.get("request_id") == rid

            rid = follow_up["request_id"]
            await asyncio.to_thread(wait_until, replayed, 30, "the replay to reach the question")
            async with job_socket(durable_api, job_id, after=follow_up["id"]) as ws:
                reply = {"request_id": rid, "value": "no"}
                assert (await http.post(f"/jobs/{job_id}/input", json=reply)).status_code == 200
                end = await ws.until_end()
        assert end["type"] == "workflow_completed", end
        record = (await http.get(f"/jobs/{job_id}")).json()
        assert record["attempt"] >= 2
        events = await job_events(http, job_id)
    assert _runs(counter) == [5]  # ran once, with the edited arguments
    assert [e["type"] for e in events].count("tool_approval") == 1
