"""Start latency under load: ``POST /jobs`` -> ``workflow_started`` while 1,000 jobs wait for
input on one worker of concurrency 4 (issue 15).

The waiting jobs are ``bench_broadcast`` runs stopped at their question, with no socket open
(the load is the jobs: their records, suspensions and question deadlines, the worker's four
slots, the reaper). Default worker settings: four of them hold a slot, the rest are suspended;
a new job takes a slot as soon as the worker suspends a waiting job to free one (slots on
demand). Once the first start freed a slot, the next ones find it free; ``slots_full``
measures again with the free slot taken by one more waiting job before every start, so each
start waits for a suspension. The same stack is measured first with nothing waiting, as the
baseline. Each sample is ``bench.start_latency``'s: a ``chatty`` job started, its socket
connected, timed from the POST to ``workflow_started`` at the client, one job at a time.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench.client import gather_limited, http_client, job_ws, read_until, run, start_job
from bench.stack import BenchEnv, Stack, StackSpec
from bench.start_latency import WARMUP, one_start
from bench.stats import summary

CONCURRENCY = 4
SETUP_TIMEOUT = 600.0
"""Seconds the waiting jobs get to all reach their question (the run fails past it)."""


async def _waiting(http: httpx.AsyncClient) -> int:
    """How many jobs wait for input (held by a slot or suspended), counted page by page."""
    count, offset, size = 0, 0, 200
    while True:
        params: dict[str, str | int] = {"offset": offset, "limit": size, "status": "awaiting_input"}
        page = (await http.get("/jobs", params=params)).json()
        count += len(page["jobs"])
        if len(page["jobs"]) < size:
            return count
        offset += size


async def _all_waiting(http: httpx.AsyncClient, count: int) -> float:
    """Start ``count`` waiting jobs; seconds until every one of them asked its question."""
    began = time.perf_counter()
    await gather_limited((start_job(http, "bench_broadcast", count=0) for _ in range(count)), 50)
    waiting = 0
    while waiting < count:
        if time.perf_counter() - began > SETUP_TIMEOUT:
            raise TimeoutError(
                f"only {waiting} of {count} jobs reached their question in {SETUP_TIMEOUT:g} s"
            )
        await asyncio.sleep(0.5)
        waiting = await _waiting(http)
    return time.perf_counter() - began


async def _starts(api_url: str, http: httpx.AsyncClient, runs: int) -> list[dict[str, float]]:
    for _ in range(WARMUP):
        await one_start(api_url, http)
    return [await one_start(api_url, http) for _ in range(runs)]


async def _asked(api_url: str, job_id: str) -> None:
    """Wait until the job asks its question (a slot holds it: it just started)."""
    async with job_ws(api_url, job_id) as conn:
        await read_until(conn, "text_input")


async def _starts_on_full_slots(
    api_url: str, http: httpx.AsyncClient, runs: int
) -> list[dict[str, float]]:
    """Each start first fills the free slot with one more waiting job, so that every measured
    start waits for the worker to suspend a waiting job (slots on demand)."""
    samples = []
    for _ in range(runs):
        await _asked(api_url, await start_job(http, "bench_broadcast", count=0))
        samples.append(await one_start(api_url, http))
    return samples


async def _scenario(stack: Stack, count: int, runs: int) -> dict[str, Any]:
    async with http_client(stack.api_url, 50) as http:
        idle = await _starts(stack.api_url, http, runs)
        setup = await _all_waiting(http, count)
        loaded = await _starts(stack.api_url, http, runs)
        full = await _starts_on_full_slots(stack.api_url, http, runs)
        still = await _waiting(http)

    def of(samples: list[dict[str, float]], key: str) -> dict[str, float]:
        return summary([s[key] for s in samples])

    return {
        "waiting_jobs": count,
        "worker_concurrency": CONCURRENCY,
        "runs": runs,
        "setup_s": round(setup, 2),
        "waiting_after": still,
        "to_workflow_started_ms": of(loaded, "started"),
        "server_queued_to_started_ms": of(loaded, "queue_to_start"),
        "post_jobs_ms": of(loaded, "post"),
        "slots_full": {
            "to_workflow_started_ms": of(full, "started"),
            "server_queued_to_started_ms": of(full, "queue_to_start"),
        },
        "idle": {
            "to_workflow_started_ms": of(idle, "started"),
            "server_queued_to_started_ms": of(idle, "queue_to_start"),
        },
    }


def bench_start_under_load(env: BenchEnv, stack: Stack | None) -> dict[str, Any]:
    """p50/p95/p99 of POST -> ``workflow_started`` with 1,000 jobs waiting on 4 slots."""
    count, runs = (30, 20) if env.quick else (1000, 200)
    with env.stack(StackSpec(concurrency=CONCURRENCY), "start-under-load") as own:
        return run(_scenario(own, count, runs))
