"""Waiting jobs: many jobs waiting for a human at once, each watched by an open WebSocket.

Two runs of the same load: jobs held by worker threads (suspension off, one thread per waiting
job), and suspended at once (``AGENTJOBS_SUSPEND_AFTER_SECONDS=0``: a waiting job holds no slot
and no thread, so four slots carry them all). Reported: resident memory per waiting job (worker)
and per socket (API), Redis memory per job, and the time from answering every job to the last
``workflow_completed``.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import redis
from cryptography.fernet import Fernet

from bench.client import http_client, job_ws, read_until, run, start_job
from bench.stack import BenchEnv, Stack, StackSpec, rss, threads
from bench.stats import summary

MIB = 1024 * 1024
_OPENING = 50
"""Jobs being started (POST, socket, first question) at once."""


class _Holders:
    """The client side: every job's socket, opened and held until told to answer."""

    def __init__(self, api_url: str, http: httpx.AsyncClient) -> None:
        self.api_url = api_url
        self.http = http
        self.ready = 0
        self.expected = 1
        self.all_ready = asyncio.Event()
        self.go = asyncio.Event()
        self.failure: BaseException | None = None
        """What went wrong in a job before every job was waiting (it wakes the waiting)."""
        self._gate = asyncio.Semaphore(_OPENING)

    async def hold(self) -> tuple[float, float, str]:
        """Start a job, wait for its question, then answer on ``go``: (answered, finished, end)."""
        async with self._gate:
            try:
                job_id = await start_job(self.http, "secret_echo")
                conn = await job_ws(self.api_url, job_id)
                question = await read_until(conn, "text_input", timeout=600)
            except Exception as exc:
                self.failure = exc  # wake the bench instead of leaving it waiting for this job
                self.all_ready.set()
                raise
        async with conn:
            self.ready += 1
            if self.ready >= self.expected:
                self.all_ready.set()
            await self.go.wait()
            answered = time.perf_counter()
            answer = {"type": "input", "request_id": question["request_id"], "value": "pw"}
            await conn.send(json.dumps(answer))
            end = await read_until(conn, timeout=600)
            return answered, time.perf_counter(), str(end["type"])


async def _all_suspended(http: httpx.AsyncClient, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        suspended, offset, page_size = 0, 0, 200
        while True:
            params = {"offset": offset, "limit": page_size}
            jobs = (await http.get("/jobs", params=params)).json()["jobs"]
            suspended += sum(1 for job in jobs if job["suspended"])
            if len(jobs) < page_size:
                break
            offset += page_size
        if suspended >= count:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {suspended} of {count} jobs suspended")
        await asyncio.sleep(0.5)


def _snapshot(stack: Stack) -> dict[str, int]:
    info = redis.Redis.from_url(stack.redis_url).info()
    worker = stack.workers[0].pid
    return {
        "worker_rss": rss(worker),
        "worker_threads": threads(worker),
        "api_rss": rss(stack.api_pid),
        "redis_memory": int(info["used_memory"]),
        "redis_clients": int(info["connected_clients"]),
    }


async def _scenario(stack: Stack, count: int, suspended: bool) -> dict[str, Any]:
    async with http_client(stack.api_url, _OPENING) as http:
        holders = _Holders(stack.api_url, http)
        warm = asyncio.create_task(holders.hold())  # one full job warms every path
        await holders.all_ready.wait()
        holders.go.set()
        await warm
        holders.go.clear()
        holders.all_ready.clear()
        holders.ready, holders.expected = 0, count
        await asyncio.sleep(1)
        before = _snapshot(stack)

        began = time.perf_counter()
        jobs = asyncio.gather(*(holders.hold() for _ in range(count)))
        await holders.all_ready.wait()
        if holders.failure is not None:
            raise holders.failure
        if suspended:
            await _all_suspended(http, count, 300)
        setup = time.perf_counter() - began
        await asyncio.sleep(1)  # let allocations settle before measuring
        waiting = _snapshot(stack)

        holders.go.set()
        results = await jobs
    answered = min(r[0] for r in results)
    finished = max(r[1] for r in results)

    def per_job_kib(key: str) -> float:
        return round((waiting[key] - before[key]) / count / 1024, 2)

    return {
        "jobs": count,
        "worker_concurrency": stack.spec.concurrency,
        "jobs_per_worker_slot": round(count / stack.spec.concurrency, 2),
        "setup_s": round(setup, 2),
        "worker_kib_per_waiting_job": per_job_kib("worker_rss"),
        "api_kib_per_socket": per_job_kib("api_rss"),
        "redis_kib_per_waiting_job": per_job_kib("redis_memory"),
        "worker_rss_mib": {
            "before": round(before["worker_rss"] / MIB, 1),
            "waiting": round(waiting["worker_rss"] / MIB, 1),
        },
        "api_rss_mib": {
            "before": round(before["api_rss"] / MIB, 1),
            "waiting": round(waiting["api_rss"] / MIB, 1),
        },
        "worker_threads": {
            "before": before["worker_threads"],
            "waiting": waiting["worker_threads"],
        },
        "redis_clients": {"before": before["redis_clients"], "waiting": waiting["redis_clients"]},
        "answer_to_all_finished_s": round(finished - answered, 3),
        "answer_to_finished_ms": summary([(r[1] - r[0]) * 1000 for r in results], 1),
        "failed": sum(1 for r in results if r[2] != "workflow_completed"),
    }


def bench_waiting_jobs(env: BenchEnv, stack: Stack | None) -> dict[str, Any]:
    """Memory per waiting job and socket, with and without suspension; answer-all-to-done time."""
    count = 30 if env.quick else 1000
    key = Fernet.generate_key().decode()
    variants = {
        # Suspension effectively off: every waiting job keeps its thread (one per job).
        "threads": StackSpec(
            concurrency=count, worker_env={"AGENTJOBS_SUSPEND_AFTER_SECONDS": "86400"}
        ),
        # The answer is a password: only with a secrets key may it be journaled, so only then
        # may a job waiting for it let go of its slot.
        "suspended": StackSpec(
            concurrency=4,
            worker_env={"AGENTJOBS_SUSPEND_AFTER_SECONDS": "0", "AGENTJOBS_SECRETS_KEY": key},
            api_env={"AGENTJOBS_SECRETS_KEY": key},
        ),
    }
    results: dict[str, Any] = {}
    for name, spec in variants.items():
        with env.stack(spec, f"waiting-{name}") as running_stack:
            results[name] = run(_scenario(running_stack, count, name == "suspended"))
            results[name]["suspend_after_seconds"] = float(
                spec.worker_env["AGENTJOBS_SUSPEND_AFTER_SECONDS"]
            )
    return results
