"""Relay latency: from the worker making an event to a WebSocket client receiving it.

The event's ``ts`` is taken in the worker just before it appends the event to the log (one Lua
script: XADD + PUBLISH); the client notes the wall clock as each frame arrives; both clocks are
this machine's. Paced: a few jobs each sending a message every ``pause_ms`` (the target's case).
Burst: one job sending as fast as it can, which measures queueing more than relaying.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from bench.client import http_client, is_terminal, job_ws, read_until, run, start_job, ts_of
from bench.stack import BenchEnv, Stack
from bench.stats import summary


async def broadcast_job(api_url: str, http: Any, count: int, pause_ms: int) -> list[float]:
    """Run one gated ``bench_broadcast`` job; the relay latency of each message, in ms."""
    job_id = await start_job(http, "bench_broadcast", count=count, pause_ms=pause_ms)
    received: list[tuple[float, str]] = []
    async with job_ws(api_url, job_id) as conn:
        question = await read_until(conn, "text_input")
        answer = {"type": "input", "request_id": question["request_id"], "value": "go"}
        await conn.send(json.dumps(answer))
        while True:
            raw = str(await asyncio.wait_for(conn.recv(), 120))
            # The clock first; parsing waits until the end so it cannot delay the next frame.
            received.append((time.time(), raw))
            if is_terminal(raw):
                break
    latencies = []
    for at, raw in received:
        frame = json.loads(raw)
        if frame["type"] == "text_message":
            latencies.append((at - ts_of(frame)) * 1000)
    return latencies


async def _paced(api_url: str, jobs: int, count: int, pause_ms: int) -> tuple[list[float], float]:
    async with http_client(api_url, jobs) as http:
        await broadcast_job(api_url, http, 5, 0)  # warm-up
        began = time.perf_counter()
        runs = await asyncio.gather(
            *(broadcast_job(api_url, http, count, pause_ms) for _ in range(jobs))
        )
        return [x for latencies in runs for x in latencies], time.perf_counter() - began


def bench_relay_latency(env: BenchEnv, stack: Stack | None) -> dict[str, Any]:
    """p50/p95/p99 of worker event -> WebSocket client (ms), paced and in a burst."""
    assert stack is not None
    jobs, count, pause = (1, 300, 2) if env.quick else (4, 2500, 2)
    paced, paced_s = run(_paced(stack.api_url, jobs, count, pause))
    burst_count = 300 if env.quick else 10_000
    burst, burst_s = run(_paced(stack.api_url, 1, burst_count, 0))
    return {
        "events": len(paced),
        "paced": {"jobs": jobs, "messages_per_job": count, "pause_ms": pause},
        "latency_ms": summary(paced),
        "paced_events_per_s": round(len(paced) / paced_s),
        "burst": {
            "events": len(burst),
            "latency_ms": summary(burst),
            "events_per_s": round(len(burst) / burst_s),
        },
    }
