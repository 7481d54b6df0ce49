"""Start latency: ``POST /jobs`` until a connected WebSocket client sees the job start and talk.

Jobs run one at a time (no queueing behind each other), each a ``chatty`` workflow sending three
messages without a model. The client connects its socket as soon as ``POST /jobs`` answers, as a
real client does, so the times include the WebSocket handshake (reported on its own too).
"""

from __future__ import annotations

import time
from typing import Any

from bench.client import Frame, http_client, job_ws, read_until, run, start_job, ts_of
from bench.stack import BenchEnv, Stack
from bench.stats import summary

WARMUP = 5


async def one_start(api_url: str, http: Any) -> dict[str, float]:
    """Start one ``chatty`` job and time it as a client sees it (ms since the POST)."""
    began = time.perf_counter()
    job_id = await start_job(http, "chatty", count=3)
    posted = time.perf_counter()
    marks: dict[str, float] = {}
    seen: dict[str, Frame] = {}
    async with job_ws(api_url, job_id) as conn:
        connected = time.perf_counter()
        while "end" not in marks:
            frame = await read_until(
                conn,
                "job_queued",
                "workflow_started",
                "text_message",
                "workflow_completed",
                "workflow_failed",
            )
            now = time.perf_counter()
            kind = frame["type"]
            if kind == "workflow_started" and "started" not in marks:
                marks["started"], seen["started"] = now, frame
            elif kind == "text_message" and "message" not in marks:
                marks["message"] = now
            elif kind == "job_queued":
                seen["queued"] = frame
            elif kind in ("workflow_completed", "workflow_failed"):
                marks["end"] = now
    return {
        "post": (posted - began) * 1000,
        "connect": (connected - posted) * 1000,
        "started": (marks["started"] - began) * 1000,
        "message": (marks["message"] - began) * 1000,
        # Server side only (two worker/API timestamps): queued until a worker started it.
        "queue_to_start": (ts_of(seen["started"]) - ts_of(seen["queued"])) * 1000,
    }


async def _measure(api_url: str, runs: int) -> list[dict[str, float]]:
    async with http_client(api_url, 4) as http:
        for _ in range(WARMUP):
            await one_start(api_url, http)
        return [await one_start(api_url, http) for _ in range(runs)]


def bench_start_latency(env: BenchEnv, stack: Stack | None) -> dict[str, Any]:
    """p50/p95/p99 of POST -> ``workflow_started`` and -> first ``text_message`` (ms)."""
    assert stack is not None
    runs = 20 if env.quick else 200
    samples = run(_measure(stack.api_url, runs))

    def of(key: str) -> dict[str, float]:
        return summary([s[key] for s in samples])

    return {
        "runs": runs,
        "workflow": "chatty(count=3)",
        "to_workflow_started_ms": of("started"),
        "to_first_message_ms": of("message"),
        "post_jobs_ms": of("post"),
        "ws_connect_ms": of("connect"),
        "server_queued_to_started_ms": of("queue_to_start"),
    }
