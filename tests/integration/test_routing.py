"""Per-workflow queues and the live catalog: pools with different registries side by side.

One module stack on a database of its own: an API with a short live window, a worker serving
only ``route_left``, one serving only ``route_right`` and one serving both. ``route_solo`` gets
a worker of its own, started and killed by the test that needs it.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from celery import Celery
from redis.asyncio import Redis as AsyncRedis

from agentjobs import keys
from agentjobs.celery_config import celery_config
from agentjobs.cli.redis_server import free_port
from agentjobs.settings import RedisSettings
from backend.store import JobStore
from tests.support.client import start_job
from tests.support.stack import ROOT, RedisServer, api_server, base_env, celery_worker, wait_until

DB = 13
REGISTRIES = "tests.support.routing_workflows"
LIVE_WINDOW = 2.0
"""The API's AGENTJOBS_WORKER_SEEN_SECONDS here: a worker silent this long serves nothing."""
BEAT = 0.5
"""The workers' AGENTJOBS_HEARTBEAT_SECONDS here."""
API_ENV = {
    "AGENTJOBS_WORKER_SEEN_SECONDS": str(int(LIVE_WINDOW)),
    "AGENTJOBS_REAPER_INTERVAL_SECONDS": "0.3",
    "AGENTJOBS_REQUEUE_CHECK_SECONDS": "1",
    "AGENTJOBS_MAX_ACTIVE_JOBS_PER_USER": "0",
    "AGENTJOBS_CREATE_RATE_PER_USER": "0",
}
TERMINAL = {"succeeded", "failed", "cancelled"}


@dataclass(frozen=True)
class Stack:
    """The module's API and its three pool workers (by registry)."""

    url: str
    db_url: str
    workers: dict[str, int]
    """Registry name -> the worker process's pid (its Celery name is agentjobs-<pid>@host)."""


def _worker_env(registry: str) -> dict[str, str]:
    return {
        "AGENTJOBS_WORKFLOWS": f"{REGISTRIES}:{registry}",
        "AGENTJOBS_HEARTBEAT_SECONDS": str(BEAT),
    }


@pytest.fixture(scope="module")
def stack(redis_srv: RedisServer, logs_dir: Path) -> Iterator[Stack]:
    db_url = f"redis://127.0.0.1:{redis_srv.port}/{DB}"
    admin = redis.Redis.from_url(db_url)
    admin.flushdb()
    with ExitStack() as processes:
        url = processes.enter_context(api_server(db_url, logs_dir / "api-routing.log", **API_ENV))
        workers = {}
        for registry in ("left", "right", "both"):
            log = logs_dir / f"worker-routing-{registry}.log"
            proc = processes.enter_context(celery_worker(db_url, log, 4, **_worker_env(registry)))
            workers[registry] = proc.pid
        yield Stack(url, db_url, workers)
    admin.flushdb()
    admin.close()


def _catalog(url: str) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in httpx.get(f"{url}/workflows", timeout=10).json()}


def _records(url: str, job_ids: list[str]) -> dict[str, dict[str, Any]]:
    with httpx.Client(base_url=url, timeout=10) as client:
        return {job_id: client.get(f"/jobs/{job_id}").json() for job_id in job_ids}


def _wait_all_ended(url: str, job_ids: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    ended: dict[str, dict[str, Any]] = {}

    def done() -> bool:
        pending = [job_id for job_id in job_ids if job_id not in ended]
        ended.update({k: r for k, r in _records(url, pending).items() if r["status"] in TERMINAL})
        return len(ended) == len(job_ids)

    wait_until(done, timeout, "every job to end")
    return ended


def _ran_on(record: dict[str, Any], stack: Stack) -> str:
    """Which pool's worker ran the job."""
    names = {f"agentjobs-{pid}@": registry for registry, pid in stack.workers.items()}
    return next(pool for prefix, pool in names.items() if record["worker"].startswith(prefix))


async def test_disjoint_pools_run_only_their_own_workflows(stack: Stack) -> None:
    catalog = _catalog(stack.url)
    assert catalog["route_left"]["workers"] == 2 and catalog["route_left"]["available"]
    assert catalog["route_right"]["workers"] == 2 and catalog["route_right"]["available"]
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        lefts = await asyncio.gather(*(start_job(http, "route_left") for _ in range(30)))
        rights = await asyncio.gather(*(start_job(http, "route_right") for _ in range(30)))
    ended = _wait_all_ended(stack.url, [*lefts, *rights], 60)
    assert {ended[j]["status"] for j in ended} == {"succeeded"}, ended
    assert {_ran_on(ended[j], stack) for j in lefts} <= {"left", "both"}
    assert {_ran_on(ended[j], stack) for j in rights} <= {"right", "both"}
    assert {ended[j]["result"] for j in lefts} == {"left"}


def test_a_run_task_on_the_default_queue_is_forwarded_to_its_workflows_pool(stack: Stack) -> None:
    """As an older API sent them: on ``agentjobs``, which every worker (left only too) reads."""
    settings = RedisSettings(redis_url=stack.db_url)
    job_ids = [f"legacy-{n}-{time.monotonic_ns()}" for n in range(6)]

    async def create() -> None:
        store = JobStore(AsyncRedis.from_url(stack.db_url, decode_responses=True), settings)
        for job_id in job_ids:
            await store.create(job_id, "route_right", {}, "default")  # the dev-mode user
            await store.sent(job_id)
        await store.redis.aclose()

    asyncio.run(create())
    producer = Celery("legacy-api")
    producer.conf.update(celery_config(settings), result_backend=None)
    for job_id in job_ids:  # no queue given: the default route, as before per-workflow queues
        producer.send_task(keys.RUN_WORKFLOW_TASK, args=[job_id, "route_right"], task_id=job_id)
    producer.close()
    ended = _wait_all_ended(stack.url, job_ids, 30)
    assert {r["status"] for r in ended.values()} == {"succeeded"}, ended
    assert {_ran_on(r, stack) for r in ended.values()} <= {"right", "both"}


async def test_a_workflow_whose_worker_died_is_unavailable_and_its_job_waits_for_one(
    stack: Stack, logs_dir: Path
) -> None:
    env = _worker_env("solo")
    with celery_worker(stack.db_url, logs_dir / "worker-routing-solo-1.log", 2, **env) as solo:
        wait_until(lambda: _catalog(stack.url)["route_solo"]["workers"] == 1, 10, "solo served")
        solo.send_signal(signal.SIGKILL)  # no clean stop: only the heartbeat's age tells
        killed = time.monotonic()
        wait_until(lambda: not _catalog(stack.url)["route_solo"]["available"], 10, "unavailable")
        assert time.monotonic() - killed <= LIVE_WINDOW + BEAT + 1.0
    entry = _catalog(stack.url)["route_solo"]
    assert entry["workers"] == 0 and entry["last_seen"] is not None

    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        unknown = await http.post("/jobs", json={"workflow": "never_registered"})
        assert unknown.status_code == 404, unknown.text
        job_id = await start_job(http, "route_solo")
        record = (await http.get(f"/jobs/{job_id}")).json()
        assert record["status"] == "queued" and record["waiting_for_worker"] is True
        events = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
        assert [e["type"] for e in events] == ["job_queued", "progress"]
        assert events[1]["content"] == "waiting for a worker that serves route_solo"

        with celery_worker(stack.db_url, logs_dir / "worker-routing-solo-2.log", 2, **env):
            ended = _wait_all_ended(stack.url, [job_id], 30)[job_id]
            assert _catalog(stack.url)["route_solo"]["available"]
        assert ended["status"] == "succeeded" and ended["result"] == "solo"
        assert ended["waiting_for_worker"] is False
    # A clean stop leaves the catalog at once, not after the live window.
    assert _catalog(stack.url)["route_solo"]["workers"] == 0


async def test_a_start_the_broker_refused_is_sent_again_and_runs_once(
    stack: Stack, logs_dir: Path
) -> None:
    """The job is written, its task never reaches the broker: the reaper of a sound API sends
    it again once its check time passed."""
    dead_broker = {"AGENTJOBS_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0", **API_ENV}
    log = logs_dir / "api-routing-dead-broker.log"
    with api_server(stack.db_url, log, **dead_broker) as broken:
        async with httpx.AsyncClient(base_url=broken, timeout=30) as http:
            job_id = await start_job(http, "route_left")
        ended = _wait_all_ended(stack.url, [job_id], 30)[job_id]
    assert ended["status"] == "succeeded" and ended["attempt"] == 1
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        events = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
    assert [e["type"] for e in events].count("workflow_started") == 1
    assert "the broker refused its task" in log.read_text()
    assert redis.Redis.from_url(stack.db_url).zscore(keys.SENDING, job_id) is None


@pytest.mark.parametrize(
    ("registry", "says"),
    [
        ("tests.support.no_such_module:registry", "No module named"),
        (f"{REGISTRIES}:empty", "no workflow"),
    ],
)
def test_a_worker_that_cannot_run_its_registry_exits_before_taking_a_job(
    isolated_db: str, registry: str, says: str
) -> None:
    client = redis.Redis.from_url(isolated_db, decode_responses=True)
    producer = Celery("waiting-task")
    producer.conf.update(celery_config(RedisSettings(redis_url=isolated_db)), result_backend=None)
    producer.send_task(keys.RUN_WORKFLOW_TASK, args=["nobody", "chatty"], task_id="nobody")
    producer.close()
    # The timeout only guards against a worker that never exits (it would consume the task);
    # a loaded CI machine once took over 15 s to start and stop the interpreter.
    done = subprocess.run(
        [sys.executable, "-m", "agentjobs.cli", "worker", "--concurrency=1"],
        cwd=ROOT,
        env=base_env(isolated_db, AGENTJOBS_WORKFLOWS=registry),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert says in done.stderr, done.stderr
    assert client.llen(keys.CELERY_QUEUE) == 1  # the waiting task was not taken
    assert not client.exists(keys.WORKERS)
