"""Fan-out: many WebSocket clients watching one job; delivery latency to the last of them.

All clients connect and see the job's question first (the gate of ``bench_broadcast``), then one
answers and the job sends paced messages. For every message, the latency to the last client is
the latest receive time minus the event's ``ts``. All clients live in this one process, so the
last client's time includes this process reading the 99 sockets before it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from typing import Any

from websockets.asyncio.client import ClientConnection

from bench.client import http_client, is_terminal, job_ws, read_until, run, start_job, ts_of
from bench.stack import BenchEnv, Stack
from bench.stats import summary


async def _watch(conn: ClientConnection, ready: asyncio.Event) -> list[tuple[float, str]]:
    await read_until(conn, "text_input")
    ready.set()
    received: list[tuple[float, str]] = []
    while True:
        raw = str(await asyncio.wait_for(conn.recv(), 120))
        received.append((time.time(), raw))  # parse later: never delay the next frame
        if is_terminal(raw):
            return received


async def _fanout(api_url: str, clients: int, count: int, pause_ms: int) -> dict[str, Any]:
    async with http_client(api_url, 2) as http:
        job_id = await start_job(http, "bench_broadcast", count=count, pause_ms=pause_ms)
        async with asyncio.TaskGroup() as group:
            conns = [await job_ws(api_url, job_id) for _ in range(clients)]
            readies = [asyncio.Event() for _ in conns]
            watchers = [
                group.create_task(_watch(c, r)) for c, r in zip(conns, readies, strict=True)
            ]
            for ready in readies:
                await ready.wait()
            question = json.loads((await http.get(f"/jobs/{job_id}")).text)["pending"]
            reply = {"request_id": question["request_id"], "value": "go"}
            (await http.post(f"/jobs/{job_id}/input", json=reply)).raise_for_status()
        for conn in conns:
            await conn.close()
    arrivals: dict[str, list[float]] = defaultdict(list)
    sent_at: dict[str, float] = {}
    for watcher in watchers:
        for at, raw in watcher.result():
            frame = json.loads(raw)
            if frame["type"] == "text_message":
                arrivals[frame["id"]].append(at)
                sent_at[frame["id"]] = ts_of(frame)
    complete = [e for e, times in arrivals.items() if len(times) == clients]
    return {
        "last_client_ms": summary([(max(arrivals[e]) - sent_at[e]) * 1000 for e in complete]),
        "first_client_ms": summary([(min(arrivals[e]) - sent_at[e]) * 1000 for e in complete]),
        "all_deliveries_ms": summary(
            [(at - sent_at[e]) * 1000 for e in complete for at in arrivals[e]]
        ),
        "events": len(complete),
        "missing_deliveries": sum(clients - len(times) for times in arrivals.values()),
    }


def bench_fanout(env: BenchEnv, stack: Stack | None) -> dict[str, Any]:
    """p50/p99 delivery latency of each message to the last of many watchers (ms)."""
    assert stack is not None
    clients, count, pause = (10, 20, 20) if env.quick else (100, 300, 20)
    run(_fanout(stack.api_url, min(clients, 5), 5, 0))  # warm-up
    result = run(_fanout(stack.api_url, clients, count, pause))
    return {"clients": clients, "messages": count, "pause_ms": pause, **result}
