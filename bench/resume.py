"""Resume time after a crash: SIGKILL the worker running a resumable job, time the takeover.

The job is ``learning_chat_resumable`` on a local fake OpenAI-compatible model whose every call
takes ``MODEL_DELAY`` s; the worker is killed while the third model call is in flight. The
time until the job's next event reaches a watcher (from another worker) is split into: lease
expiry noticed and job requeued by the API's reaper, requeued job started by a worker, and the
replay of its journal up to that next event (the interrupted model call runs again).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import TERMINAL_TYPES
from bench.client import http_client, job_ws, read_until, run, start_job, ts_of
from bench.stack import BenchEnv, Stack, StackSpec
from bench.stats import summary
from tests.support.fake_openai import FakeOpenAI, fake_openai_server

MODEL_DELAY = 0.2
"""Seconds each model call takes: long enough to kill a worker in the middle of one."""


@dataclass(frozen=True)
class Settings:
    """The lease and reaper settings one variant runs with, and how many crashes it times."""

    lease_seconds: float
    reaper_interval_seconds: float
    runs: int


async def _watch_record(redis: Redis, job_id: str, killed: float) -> dict[str, float]:
    """When the job was requeued (``resume`` flag) and restarted (a new attempt), after a kill."""
    marks: dict[str, float] = {}
    first = await redis.hget(keys.job(job_id), "attempt")
    while "restarted" not in marks:
        resume, attempt = await redis.hmget(keys.job(job_id), ["resume", "attempt"])
        now = time.time()
        if resume == "1" and "requeued" not in marks:
            marks["requeued"] = now - killed
        if attempt != first:
            marks["restarted"] = now - killed
            marks.setdefault("requeued", marks["restarted"])
        await asyncio.sleep(0.002)
    return marks


def _worker_pid(worker: str) -> int:
    # Workers are named agentjobs-<pid>@<host> (cli/main.py).
    return int(worker.split("@")[0].removeprefix("agentjobs-"))


async def _wait_for_calls(model: FakeOpenAI, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(model.requests) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the model never got call {count}")
        await asyncio.sleep(0.005)


async def _crash_once(stack: Stack, model: FakeOpenAI) -> dict[str, Any]:
    redis = Redis.from_url(stack.redis_url, decode_responses=True)
    async with http_client(stack.api_url, 2) as http:
        before = len(model.requests)
        job_id = await start_job(http, "learning_chat_resumable")
        async with job_ws(stack.api_url, job_id) as conn:
            question = await read_until(conn, "text_input")
            answer = {"type": "input", "request_id": question["request_id"], "value": "π"}
            await conn.send(json.dumps(answer))
            await _wait_for_calls(model, before + 3)
            worker = str(await redis.hget(keys.job(job_id), "worker"))
            killed = time.time()
            os.kill(_worker_pid(worker), signal.SIGKILL)
            watcher = asyncio.create_task(_watch_record(redis, job_id, killed))
            next_event = None
            while True:
                frame = json.loads(await asyncio.wait_for(conn.recv(), 120))
                at = time.time()
                if next_event is None and "ts" in frame and ts_of(frame) > killed:
                    next_event = at - killed
                if frame["type"] in TERMINAL_TYPES:
                    break
            marks = await asyncio.wait_for(watcher, 10)
    await redis.aclose()
    return {**marks, "next_event": next_event or float("nan"), "end": frame["type"]}


def _variant(env: BenchEnv, name: str, settings: Settings) -> dict[str, Any]:
    with fake_openai_server() as model:
        model.delay = MODEL_DELAY
        spec = StackSpec(
            concurrency=2,
            workers=2,
            worker_env={
                "AGENTJOBS_LEASE_SECONDS": str(settings.lease_seconds),
                "OPENAI_API_KEY": "bench-key",
                "OPENAI_BASE_URL": model.base_url,
            },
            api_env={"AGENTJOBS_REAPER_INTERVAL_SECONDS": str(settings.reaper_interval_seconds)},
        )
        crashes = []
        with env.stack(spec, f"resume-{name}") as stack:
            for number in range(settings.runs):
                crashes.append(run(_crash_once(stack, model)))
                if number + 1 < settings.runs:
                    stack.add_worker()  # replace the killed one: always two to choose from
    return {
        "lease_seconds": settings.lease_seconds,
        "reaper_interval_seconds": settings.reaper_interval_seconds,
        "model_call_s": MODEL_DELAY,
        "runs": settings.runs,
        "completed": sum(1 for c in crashes if c["end"] == "workflow_completed"),
        "kill_to_next_event_s": summary([c["next_event"] for c in crashes]),
        "kill_to_requeued_s": summary([c["requeued"] for c in crashes]),
        "requeued_to_restarted_s": summary([c["restarted"] - c["requeued"] for c in crashes]),
        "restarted_to_next_event_s": summary([c["next_event"] - c["restarted"] for c in crashes]),
    }


def bench_resume(env: BenchEnv, stack: Stack | None) -> dict[str, Any]:
    """Seconds from SIGKILL of a worker to the resumed job's next event, by lease settings."""
    variants = {"tight": Settings(1.5, 0.5, 1 if env.quick else 5)}
    if not env.quick:
        variants["defaults"] = Settings(15.0, 5.0, 2)
    return {name: _variant(env, name, settings) for name, settings in variants.items()}
