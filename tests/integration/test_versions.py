"""Workflow versions across deploys: a job replays only on the version it started on, new jobs
run on the newest version served, ``ui.patched`` lets a change finish old jobs, and the
rolling-deploy recipe of docs/operations.md works as written.

One module stack on a database of its own (an API with a short live window); workers of the
two deploys in ``tests.support.version_workflows`` are started and stopped per step.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from celery import Celery

from agentjobs import keys
from agentjobs.celery_config import celery_config, run_task_options
from agentjobs.settings import RedisSettings
from tests.support.client import start_job
from tests.support.stack import RedisServer, api_server, celery_worker, wait_until

DB = 11
REGISTRIES = "tests.support.version_workflows"
API_ENV = {
    "AGENTJOBS_WORKER_SEEN_SECONDS": "2",
    "AGENTJOBS_REAPER_INTERVAL_SECONDS": "0.3",
    "AGENTJOBS_MAX_ACTIVE_JOBS_PER_USER": "0",
    "AGENTJOBS_CREATE_RATE_PER_USER": "0",
}
TERMINAL = {"succeeded", "failed", "cancelled"}


@dataclass(frozen=True)
class Stack:
    url: str
    db_url: str
    logs: Path


@pytest.fixture(scope="module")
def stack(redis_srv: RedisServer, logs_dir: Path) -> Iterator[Stack]:
    db_url = f"redis://127.0.0.1:{redis_srv.port}/{DB}"
    admin = redis.Redis.from_url(db_url)
    admin.flushdb()
    with api_server(db_url, logs_dir / "api-versions.log", **API_ENV) as url:
        yield Stack(url, db_url, logs_dir)
    admin.flushdb()
    admin.close()


@contextlib.contextmanager
def deploy(stack: Stack, registry: str, log: str) -> Iterator[str]:
    """A worker of the ``registry`` deploy; yields the prefix of its Celery name."""
    env = {
        "AGENTJOBS_WORKFLOWS": f"{REGISTRIES}:{registry}",
        "AGENTJOBS_HEARTBEAT_SECONDS": "0.5",
        "AGENTJOBS_SUSPEND_AFTER_SECONDS": "0.3",
    }
    with celery_worker(stack.db_url, stack.logs / f"worker-versions-{log}.log", 4, **env) as proc:
        yield f"agentjobs-{proc.pid}@"


def versions(url: str, workflow: str = "versioned") -> dict[str, tuple[int, int]]:
    """GET /workflows for ``workflow``: version -> (live workers, unfinished jobs)."""
    entry = next(
        e for e in httpx.get(f"{url}/workflows", timeout=10).json() if e["name"] == workflow
    )
    return {v["version"]: (v["workers"], v["unfinished"]) for v in entry["versions"]}


def newest_served(url: str, workflow: str = "versioned") -> str:
    entry = next(
        e for e in httpx.get(f"{url}/workflows", timeout=10).json() if e["name"] == workflow
    )
    return str(entry["version"])


async def record(http: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await http.get(f"/jobs/{job_id}")).json()
    return found


async def until(http: httpx.AsyncClient, job_id: str, check: Any, what: str) -> dict[str, Any]:
    """Poll the job's record until ``check(record)`` holds (15 s at most)."""
    for _ in range(300):
        found = await record(http, job_id)
        if check(found):
            return found
        await asyncio.sleep(0.05)
    raise TimeoutError(f"job {job_id}: timed out waiting for {what}: {found}")


async def answer(http: httpx.AsyncClient, job_id: str, value: str) -> None:
    asked = await until(http, job_id, lambda r: r["pending"] is not None, "its question")
    request_id = asked["pending"]["request_id"]
    sent = await http.post(f"/jobs/{job_id}/input", json={"request_id": request_id, "value": value})
    assert sent.status_code < 300, sent.text


async def ended(http: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    return await until(http, job_id, lambda r: r["status"] in TERMINAL, "its end")


def suspended(found: dict[str, Any]) -> bool:
    return bool(found["suspended"]) and found["status"] == "awaiting_input"


async def test_a_v1_job_replays_only_on_v1_while_new_jobs_run_on_v2(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        with deploy(stack, "one", "one-1") as first:
            assert newest_served(stack.url) == "1"
            old = await start_job(http, "versioned")
            patchy_old = await start_job(http, "patchy")
            for job_id in (old, patchy_old):
                await until(http, job_id, suspended, "its suspension")
        started = await record(http, old)
        assert started["workflow_version"] == "1" and started["worker"].startswith(first)
        assert versions(stack.url) == {"1": (0, 1)}

        with deploy(stack, "two", "two-1") as second:
            assert newest_served(stack.url) == "2" and versions(stack.url) == {
                "1": (0, 1),
                "2": (1, 0),
            }
            new = await start_job(http, "versioned")
            assert (await record(http, new))["workflow_version"] == "2"

            await answer(http, old, "Ann")
            waiting = await until(http, old, lambda r: r["waiting_for_worker"], "the wait mark")
            events = (await http.get(f"/jobs/{old}/events")).json()["events"]
            assert events[-1]["type"] == "progress"
            assert events[-1]["content"] == "waiting for a worker that serves versioned version 1"
            # A copy sent where every version's workers read: v2 takes it and refuses it.
            producer = Celery("misrouting-api")
            producer.conf.update(celery_config(RedisSettings(redis_url=stack.db_url)))
            options = run_task_options(old, "versioned", resumed=True)
            producer.send_task(keys.RUN_WORKFLOW_TASK, **options)
            producer.close()
            log = stack.logs / "worker-versions-two-1.log"
            wait_until(
                lambda: f"job {old} is pinned to version 1" in log.read_text(), 15, "refusal"
            )

            await answer(http, new, "Bob")
            done = await ended(http, new)
            assert (done["result"], done["worker"].startswith(second)) == ("v2 greets Bob", True)
            # ui.patched: the old job finishes on the new code, down the old path; a new one
            # takes the new path.
            await answer(http, patchy_old, "Cy")
            patched = await ended(http, patchy_old)
            assert patched["result"] == "new code: hello Cy"
            assert patched["worker"].startswith(second)
            patchy_new = await start_job(http, "patchy")
            await answer(http, patchy_new, "Dee")
            assert (await ended(http, patchy_new))["result"] == "new code: HELLO Dee"

            still = await record(http, old)  # not run on v2: untouched since its answer
            assert still["status"] == "running" and still["attempt"] == waiting["attempt"] == 1
            assert still["worker"] == started["worker"] and still["waiting_for_worker"]
            assert versions(stack.url) == {"1": (0, 1), "2": (1, 0)}

        with deploy(stack, "one", "one-2") as third:
            finished = await ended(http, old)
        assert finished["status"] == "succeeded" and finished["result"] == "v1 greets Ann"
        assert finished["worker"].startswith(third) and finished["attempt"] == 2
        assert finished["waiting_for_worker"] is False
        events = (await http.get(f"/jobs/{old}/events")).json()["events"]
        assert [e["type"] for e in events].count("workflow_started") == 1
        assert versions(stack.url) == {"1": (0, 0), "2": (0, 0)}


async def test_the_rolling_deploy_recipe(stack: Stack) -> None:
    """docs/operations.md, step by step: start v2, watch v1's unfinished jobs reach 0, stop v1."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        with contextlib.ExitStack() as v1_pool:
            v1 = v1_pool.enter_context(deploy(stack, "one", "rolling-one"))
            before = [await start_job(http, "versioned") for _ in range(3)]
            with deploy(stack, "two", "rolling-two") as v2:
                # 1. Start the v2 workers: once GET /workflows says so, new jobs go to v2.
                wait_until(lambda: newest_served(stack.url) == "2", 10, "v2 to be served")
                after = [await start_job(http, "versioned") for _ in range(3)]
                assert versions(stack.url)["1"] == (1, 3)
                # 2. Old jobs finish on v1 meanwhile (here: their people answer).
                for n, job_id in enumerate([*before, *after]):
                    await answer(http, job_id, f"p{n}")
                # 3. Watch GET /workflows until v1 has no unfinished job; 4. stop v1.
                wait_until(lambda: versions(stack.url)["1"][1] == 0, 20, "v1 to drain")
                v1_pool.close()
                assert versions(stack.url)["1"] == (0, 0)
                records = [await ended(http, job_id) for job_id in [*before, *after]]
        assert {r["status"] for r in records} == {"succeeded"}
        assert [r["result"] for r in records] == [
            *(f"v1 greets p{n}" for n in range(3)),
            *(f"v2 greets p{n}" for n in range(3, 6)),
        ]
        assert all(r["worker"].startswith(v1) for r in records[:3])
        assert all(r["worker"].startswith(v2) for r in records[3:])
