"""Where an agentjobs FastAgency run's time goes, phase by phase, from the client's clock and
the job's own event timestamps.

A raw run (POST initiate, socket, read to the end) notes the wall clock at each step on the
client; afterwards the job's log (``GET /jobs/{id}/events``) gives when the API recorded the
job (``job_queued``), when a worker started it (``workflow_started``, stamped just before the
start script), and when the workflow said its first and last message and ended. Every process
runs on this machine, so the clocks are one clock. The phases add up to the run's completion.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from datetime import datetime
from typing import Any

import httpx
from websockets.asyncio.client import connect

from bench.client import http_client
from bench.fastagency_clients import WORKFLOW
from tests.support.fastagency_wire import ws_base

PHASES = (
    ("initiate POST", "began", "initiated"),
    ("socket handshake", "initiated", "opened"),
    ("API: first frame read, checks, create script", "opened", "job_queued"),
    ("queue hop: the task queued, Celery, pool thread", "job_queued", "workflow_started"),
    ("worker: start script, run set-up", "workflow_started", "first_message"),
    ("workflow: its messages", "first_message", "last_message"),
    ("worker: end script", "last_message", "workflow_completed"),
    ("relay: last event to the client", "workflow_completed", "done"),
)
"""(name, from, to): consecutive marks, so the phases sum to the run's completion time."""


def _ts(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["ts"]).timestamp()


async def _timed_run(http: httpx.AsyncClient, ws_url: str, count: int) -> dict[str, Any]:
    """One raw run with the client's wall clock at each step, and its job id."""
    marks: dict[str, float] = {"began": time.time()}
    workflow_uuid = uuid.uuid4().hex
    params = {"count": count}
    body = {"workflow_name": WORKFLOW, "workflow_uuid": workflow_uuid, "user_id": None}
    answer = await http.post("/fastagency/initiate_workflow", json={**body, "params": params})
    answer.raise_for_status()
    marks["initiated"] = time.time()
    init = {"user_id": "None", "workflow_uuid": workflow_uuid, "name": WORKFLOW, "params": params}
    job_id = ""
    async with connect(ws_url, open_timeout=10, close_timeout=2) as conn:
        marks["opened"] = time.time()
        await conn.send(json.dumps(init))
        async for raw in conn:
            if "first_frame" not in marks:
                marks["first_frame"] = time.time()
                job_id = json.loads(raw)["workflow_uuid"]
            if '"workflow_completed"' in raw:
                marks["done"] = time.time()
                break
    return {"job_id": job_id, "marks": marks}


async def _job_marks(http: httpx.AsyncClient, job_id: str) -> dict[str, float]:
    """The job's own timestamps: recorded, started, first and last message, ended."""
    answer = await http.get(f"/jobs/{job_id}/events", params={"limit": 1000})
    answer.raise_for_status()
    events = answer.json()["events"]
    said = [e for e in events if e["type"] == "text_message"]
    by_type = {e["type"]: e for e in events}
    return {
        "job_queued": _ts(by_type["job_queued"]),
        "workflow_started": _ts(by_type["workflow_started"]),
        "first_message": _ts(said[0]),
        "last_message": _ts(said[-1]),
        "workflow_completed": _ts(by_type["workflow_completed"]),
    }


CLIENT_PHASES = (
    *PHASES[:2],
    ("first frame after the socket opened", "opened", "first_frame"),
    ("first frame to the last", "first_frame", "done"),
)
"""What the client alone sees, for a server whose log there is none to read (FastAgency's)."""


async def timeline(
    url: str, count: int, runs: int, in_flight: int, server: str = "agentjobs"
) -> dict[str, Any]:
    """``runs`` timed runs, ``in_flight`` at a time: each phase's p50 and p95 in ms (for
    FastAgency's server, only the phases the client sees)."""
    ws_url = f"{ws_base(url)}/fastagency/ws"
    left = iter(range(runs))
    taken: list[dict[str, Any]] = []
    async with http_client(url, in_flight) as http:

        async def lane() -> None:
            for _ in left:
                taken.append(await _timed_run(http, ws_url, count))

        await asyncio.gather(*(lane() for _ in range(in_flight)))
        if server == "agentjobs":
            for run in taken:
                run["marks"].update(await _job_marks(http, run["job_id"]))
    phases: dict[str, dict[str, float]] = {}
    for name, start, end in _phases(server):
        spans = sorted((r["marks"][end] - r["marks"][start]) * 1000 for r in taken)
        phases[name] = {
            "p50": round(statistics.median(spans), 2),
            "p95": round(spans[min(len(spans) - 1, int(len(spans) * 0.95))], 2),
        }
    return {
        "server": server,
        "runs": len(taken),
        "in_flight": in_flight,
        "messages": count,
        "phases_ms": phases,
    }


def _phases(server: str) -> tuple[tuple[str, str, str], ...]:
    if server != "agentjobs":
        return CLIENT_PHASES
    return PHASES + tuple(phase for phase in CLIENT_PHASES if phase not in PHASES)


def timeline_table(timelines: list[dict[str, Any]]) -> str:
    """Each phase's p50 (p95) per timeline, one column per server and in-flight count."""
    heads = [f"{t['server'][:2]} x{t['in_flight']}, {t['messages']} msg (ms)" for t in timelines]
    lines = [f"{'phase':<48}" + "".join(f"{h:>24}" for h in heads)]
    for name, *_ in _phases("agentjobs"):
        cells = []
        for t in timelines:
            figures = t["phases_ms"].get(name)
            cell = f"{figures['p50']:.2f} ({figures['p95']:.2f})" if figures else "-"
            cells.append(f"{cell:>24}")
        lines.append(f"{name:<48}" + "".join(f"{c:>30}" for c in cells))
    return "\n".join(lines)
