"""Model usage: a job's ``usage`` is what the model server reported, even across a worker
SIGKILL and resume (journaled calls are not counted again); ``/metrics`` and ``/usage`` agree."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio

from agentjobs.scripts.usage import record_usage
from tests.support.client import job_socket, start_job
from tests.support.durable import answer_frame, assert_one_transcript
from tests.support.fake_openai import FakeOpenAI, fake_openai_server
from tests.support.stack import RedisServer, api_server, celery_worker, wait_until

DB = 12
MODEL = "fake-usage-model"
PRICES = f"{MODEL}=2/8"
"""USD per million prompt / completion tokens."""


@dataclass
class UsageStack:
    api: str
    url: str
    model: FakeOpenAI
    workers: ExitStack
    logs: Path
    env: dict[str, str]

    def add_worker(self, name: str) -> None:
        log = self.logs / f"worker-usage-{name}.log"
        self.workers.enter_context(celery_worker(self.url, log, 2, **self.env))


@pytest.fixture(scope="module")
def stack(redis_srv: RedisServer, logs_dir: Path) -> Iterator[UsageStack]:
    url = f"redis://127.0.0.1:{redis_srv.port}/{DB}"
    db = redis.Redis.from_url(url)
    db.flushdb()
    env = {
        "OPENAI_API_KEY": "test-key",
        "AGENTJOBS_MODEL": MODEL,
        "AGENTJOBS_MODEL_PRICES": PRICES,
        "AGENTJOBS_LEASE_SECONDS": "3",
    }
    try:
        with fake_openai_server() as model, ExitStack() as workers:
            env["OPENAI_BASE_URL"] = model.base_url
            api = workers.enter_context(
                api_server(url, logs_dir / "api-usage.log", AGENTJOBS_REAPER_INTERVAL_SECONDS="0.3")
            )
            usage = UsageStack(api, url, model, workers, logs_dir, env)
            usage.add_worker("0")
            usage.add_worker("1")
            yield usage
    finally:
        db.flushdb()
        db.close()


def _expected_cost(prompt: int, completion: int) -> float:
    return (prompt * 2 + completion * 8) / 1_000_000


def _check_usage(record: dict[str, Any], calls: int, prompt: int, completion: int) -> None:
    usage = record["usage"]
    assert (usage["model_calls"], usage["prompt_tokens"], usage["completion_tokens"]) == (
        calls,
        prompt,
        completion,
    )
    assert usage["cost_usd"] == pytest.approx(_expected_cost(prompt, completion))


def _delta(after: tuple[int, int, int], before: tuple[int, int, int]) -> tuple[int, int, int]:
    return (after[0] - before[0], after[1] - before[1], after[2] - before[2])


async def test_a_learning_chat_uses_what_the_model_reported(stack: UsageStack) -> None:
    before = stack.model.reported_totals()
    async with httpx.AsyncClient(base_url=stack.api, timeout=10) as http:
        job_id = await start_job(http, "learning_chat", turns=4)
        async with job_socket(stack.api, job_id) as ws:
            await ws.send(answer_frame(await ws.until("text_input"), "primes"))
            end = await ws.until_end()
        assert end["type"] == "workflow_completed", end
        record = (await http.get(f"/jobs/{job_id}")).json()
    calls, prompt, completion = _delta(stack.model.reported_totals(), before)
    assert calls == 4 and prompt > 0 and completion > 0
    # Student calls plainly, Teacher streams: a stream's usage counts too (include_usage).
    assert any(r.get("stream") for r in stack.model.requests)
    _check_usage(record, calls, prompt, completion)


def _worker_pid(record: dict[str, Any]) -> int:
    return int(str(record["worker"]).split("@")[0].removeprefix("agentjobs-"))


async def test_a_worker_killed_mid_chat_counts_no_call_twice(stack: UsageStack) -> None:
    stack.model.delay = 0.3
    before = stack.model.reported_totals()
    served = len(stack.model.requests)
    async with httpx.AsyncClient(base_url=stack.api, timeout=10) as http:
        job_id = await start_job(http, "learning_chat_resumable", turns=4)
        async with job_socket(stack.api, job_id) as ws:
            await ws.send(answer_frame(await ws.until("text_input"), "fractions"))
            # Killed while its third call is at the model: that answer is never delivered.
            await asyncio.to_thread(
                wait_until, lambda: len(stack.model.requests) >= served + 3, 20, "call 3"
            )
            record = (await http.get(f"/jobs/{job_id}")).json()
            os.kill(_worker_pid(record), signal.SIGKILL)
            stack.add_worker("2")
            end = await ws.until_end()
        stack.model.delay = 0.0
        assert end["type"] == "workflow_completed", end
        record = (await http.get(f"/jobs/{job_id}")).json()
        assert record["attempt"] >= 2
        assert_one_transcript((await http.get(f"/jobs/{job_id}/events")).json()["events"])
    # The replay took calls 1 and 2 from the journal: served once, counted once.
    assert len(stack.model.requests) - served == 4 + record["attempt"] - 1
    _check_usage(record, *_delta(stack.model.reported_totals(), before))
    assert record["usage"]["model_calls"] == 4


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            total += float(match.group(2))
    return total


async def test_metrics_and_usage_agree_with_the_model(stack: UsageStack) -> None:
    calls, prompt, completion = stack.model.reported_totals()
    async with httpx.AsyncClient(base_url=stack.api, timeout=10) as http:
        by_model = (await http.get("/usage", params={"group_by": "model"})).json()
        by_workflow = (await http.get("/usage", params={"group_by": "workflow"})).json()
        text = (await http.get("/metrics")).text
        bad = await http.get("/usage", params={"group_by": "colour"})
        future = (await http.get("/usage", params={"since": "2999-01-01"})).json()
        ancient = (await http.get("/usage", params={"since": "2000-01-01"})).json()
    assert [row["key"] for row in by_model["rows"]] == [MODEL]
    row = by_model["rows"][0]
    assert (row["model_calls"], row["prompt_tokens"], row["completion_tokens"]) == (
        calls,
        prompt,
        completion,
    )
    assert row["cost_usd"] == pytest.approx(_expected_cost(prompt, completion))
    assert {r["key"] for r in by_workflow["rows"]} == {"learning_chat", "learning_chat_resumable"}
    assert sum(r["model_calls"] for r in by_workflow["rows"]) == calls
    assert _metric(text, "agentjobs_model_calls_total", model=MODEL) == calls
    assert _metric(text, "agentjobs_model_tokens_total", model=MODEL, kind="prompt") == prompt
    assert (
        _metric(text, "agentjobs_model_tokens_total", model=MODEL, kind="completion") == completion
    )
    assert _metric(text, "agentjobs_model_cost_usd_total", model=MODEL) == pytest.approx(
        _expected_cost(prompt, completion)
    )
    assert bad.status_code == 422 and "group_by" in bad.text
    assert future["rows"] == []
    # Days past the retention are gone: the answer counts from the oldest day kept.
    assert ancient["since"] > "2000-01-01" and ancient["rows"] == by_workflow["rows"]


async def test_a_group_with_no_priced_call_has_no_cost(
    http: httpx.AsyncClient, redis_srv: RedisServer
) -> None:
    unpriced, priced = f"unpriced-{uuid.uuid4().hex}", f"priced-{uuid.uuid4().hex}"
    store = redis.asyncio.Redis.from_url(redis_srv.url)
    try:
        for workflow, cost in ((unpriced, None), (priced, 0.25), (priced, None)):
            await record_usage(
                store,
                job_id=uuid.uuid4().hex,
                user="default",  # the API's user in dev mode
                workflow=workflow,
                model="some-model",
                day=datetime.now(UTC).date().isoformat(),
                prompt_tokens=10,
                completion_tokens=5,
                cost_usd=cost,
                ttl_seconds=3600,
                metrics={},
            )
    finally:
        await store.aclose()
    rows = {r["key"]: r for r in (await http.get("/usage")).json()["rows"]}
    assert rows[unpriced]["model_calls"] == 1 and rows[unpriced]["cost_usd"] is None
    # Of a priced call and an unpriced one, the cost is the priced call's.
    assert rows[priced]["model_calls"] == 2 and rows[priced]["cost_usd"] == 0.25
