"""Throughput: finished jobs per second under many concurrent clients, against bare Celery.

Each client loops: ``POST /jobs`` a three-message ``chatty`` job, follow it on its WebSocket to
``workflow_completed``. The ceiling is a no-op Celery task on the same Redis, with a worker of
the same pool and concurrency (``bench/noop_app.py``), every task sent at once and all results
awaited. CPU seconds per job of each process say where the time goes.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

from celery.result import ResultSet

from agentjobs.settings import RedisSettings
from bench.client import http_client, job_ws, read_until, run, start_job
from bench.noop_app import NOOP_QUEUE, NOOP_TASK, make_app
from bench.stack import BenchEnv, Stack, cpu_seconds
from bench.stats import summary
from tests.support.stack import base_env, running


async def _clients(api_url: str, clients: int, jobs: int) -> tuple[float, int, list[float]]:
    """Run ``jobs`` jobs over ``clients`` concurrent clients; (seconds, failures, latencies)."""
    left = iter(range(jobs))
    failures = 0
    latencies: list[float] = []

    async def client(http: Any) -> None:
        nonlocal failures
        for _ in left:
            began = time.perf_counter()
            job_id = await start_job(http, "chatty", count=3)
            async with job_ws(api_url, job_id) as conn:
                end = await read_until(conn)
            latencies.append((time.perf_counter() - began) * 1000)
            failures += end["type"] != "workflow_completed"

    async with http_client(api_url, clients) as http:
        began = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        return time.perf_counter() - began, failures, latencies


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def _cpu_ms_per(before: dict[str, float], pids: dict[str, int], count: int) -> dict[str, float]:
    after = _cpu(pids)
    return {name: round((after[name] - before[name]) * 1000 / count, 3) for name in pids}


def _noop_rate(env: BenchEnv, stack: Stack, tasks: int) -> dict[str, Any]:
    """Start a no-op worker like the agentjobs one and time ``tasks`` no-op tasks through it."""
    argv = [sys.executable, "-m", "celery", "-A", "bench.noop_app", "worker", "--pool=threads"]
    argv += [f"--concurrency={stack.spec.concurrency}", f"--queues={NOOP_QUEUE}", "--task-events"]
    argv += ["--without-gossip", "--without-mingle", "--loglevel=INFO"]
    argv += [f"--hostname=bench-noop-{os.getpid()}@%h"]
    celery = make_app(RedisSettings(redis_url=stack.redis_url))
    log = env.logs / "throughput-noop-worker.log"
    with running(argv, base_env(stack.redis_url), log) as worker:
        # Ready once it runs a task; a few more warm its pool.
        celery.send_task(NOOP_TASK).get(timeout=60)
        ResultSet([celery.send_task(NOOP_TASK) for _ in range(50)]).get(timeout=60)
        pids = {"noop_worker": worker.pid, "redis": stack.redis_pid or 0, "client": os.getpid()}
        before = _cpu(pids)
        began = time.perf_counter()
        results = ResultSet([celery.send_task(NOOP_TASK) for _ in range(tasks)])
        results.get(timeout=300)
        seconds = time.perf_counter() - began
        cpu = _cpu_ms_per(before, pids, tasks)
    celery.close()
    return {
        "tasks": tasks,
        "seconds": round(seconds, 3),
        "per_s": round(tasks / seconds, 1),
        "cpu_ms_per_task": cpu,
        "cpu_ms_per_task_total": round(sum(cpu.values()), 3),
    }


def bench_throughput(env: BenchEnv, stack: Stack | None) -> dict[str, Any]:
    """Finished jobs/s with many clients, bare Celery no-op tasks/s, and their ratio."""
    assert stack is not None
    clients, jobs, tasks = (6, 30, 200) if env.quick else (50, 1000, 3000)
    run(_clients(stack.api_url, clients, clients * 2))  # warm-up: every client and thread
    pids = {
        "api": stack.api_pid,
        "worker": stack.workers[0].pid,
        "redis": stack.redis_pid or 0,
        "client": os.getpid(),
    }
    before = _cpu(pids)
    seconds, failures, latencies = run(_clients(stack.api_url, clients, jobs))
    cpu = _cpu_ms_per(before, pids, jobs)
    noop = _noop_rate(env, stack, tasks)
    jobs_per_s = jobs / seconds
    return {
        "workflow": "chatty(count=3)",
        "clients": clients,
        "jobs": jobs,
        "failed": failures,
        "seconds": round(seconds, 3),
        "jobs_per_s": round(jobs_per_s, 1),
        "job_latency_ms": summary(latencies),
        "cpu_ms_per_job": cpu,
        # Robust to a busy machine (unlike the rates): what one job costs all processes.
        "cpu_ms_per_job_total": round(sum(cpu.values()), 3),
        "worker_concurrency": stack.spec.concurrency,
        "noop": noop,
        "ratio": round(jobs_per_s / noop["per_s"], 3),
    }
