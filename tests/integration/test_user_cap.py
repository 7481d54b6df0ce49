"""The per-user cap on active jobs: 429 past it, per user, freed however a job ends, atomic."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.stack import RedisServer, api_server, wait_until

CAROL = f"carol-{secrets.token_urlsafe(12)}"
DAVE = f"dave-{secrets.token_urlsafe(12)}"
ERIN = f"erin-{secrets.token_urlsafe(12)}"
CAP = 2


@pytest.fixture(scope="module")
def capped_api(redis_srv: RedisServer, worker_proc: None, logs_dir: Path) -> Iterator[str]:
    env = {
        "AGENTJOBS_API_TOKENS": f"{CAROL}:carol,{DAVE}:dave,{ERIN}:erin",
        "AGENTJOBS_MAX_ACTIVE_JOBS_PER_USER": str(CAP),
    }
    with api_server(redis_srv.url, logs_dir / "api-cap.log", **env) as url:
        yield url


def client(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def post(http: httpx.Client, workflow: str, **params: Any) -> httpx.Response:
    return http.post("/jobs", json={"workflow": workflow, "params": params})


def started(http: httpx.Client, workflow: str, **params: Any) -> str:
    response = post(http, workflow, **params)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def wait_status(http: httpx.Client, job_id: str, *statuses: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def reached() -> bool:
        seen.update(http.get(f"/jobs/{job_id}").json())
        return seen["status"] in statuses

    wait_until(reached, 20, f"job {job_id} to be {statuses}")
    return seen


def assert_capped(http: httpx.Client) -> None:
    refused = post(http, "chatty")
    assert refused.status_code == 429, refused.text
    detail = refused.json()["detail"]
    assert f"you have {CAP} active jobs" in detail
    assert f"the limit is {CAP}" in detail


def test_the_cap_answers_429_and_frees_up_when_jobs_end(capped_api: str) -> None:
    with client(capped_api, CAROL) as carol, client(capped_api, DAVE) as dave:
        waiting = started(carol, "learning_chat")
        secret = started(carol, "secret_echo")
        pending = wait_status(carol, secret, "awaiting_input")["pending"]
        assert_capped(carol)
        # The cap is per user: dave is not affected by carol's jobs.
        started(dave, "chatty", count=1)
        # A refused request created nothing.
        assert carol.get("/jobs").json()["total"] == 2

        # Freed by success.
        answer = {"request_id": pending["request_id"], "value": "hunter2"}
        assert carol.post(f"/jobs/{secret}/input", json=answer).status_code == 200
        assert wait_status(carol, secret, "succeeded", "failed")["status"] == "succeeded"
        broken = started(carol, "failing")

        # Freed by failure.
        assert wait_status(carol, broken, "succeeded", "failed")["status"] == "failed"
        again = started(carol, "learning_chat")
        assert_capped(carol)

        # Freed by cancel (of a job waiting for input, and of the other one).
        assert carol.post(f"/jobs/{again}/cancel").status_code == 200
        last = started(carol, "learning_chat")
        assert_capped(carol)
        for job_id in (waiting, last):
            assert carol.post(f"/jobs/{job_id}/cancel").status_code == 200
        assert started(carol, "chatty", count=0)


async def test_concurrent_requests_never_exceed_the_cap(capped_api: str) -> None:
    headers = {"Authorization": f"Bearer {ERIN}"}
    async with httpx.AsyncClient(base_url=capped_api, headers=headers, timeout=10) as http:
        body = {"workflow": "learning_chat", "params": {}}
        responses = await asyncio.gather(*(http.post("/jobs", json=body) for _ in range(12)))
        codes = sorted(response.status_code for response in responses)
        assert codes == [202] * CAP + [429] * (12 - CAP)
        listed = (await http.get("/jobs")).json()
        assert listed["total"] == CAP
        for job in listed["jobs"]:
            assert (await http.post(f"/jobs/{job['job_id']}/cancel")).status_code == 200
