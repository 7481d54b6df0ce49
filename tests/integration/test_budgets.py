"""Budgets: a job's own (``POST /jobs``), a workflow's default (``register(budget=...)``) and a
user's day (``AGENTJOBS_USER_DAILY_TOKENS``) stop model calls with ``budget_exceeded``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.support.client import job_socket
from tests.support.fake_openai import FakeOpenAI, fake_openai_server
from tests.support.stack import RedisServer, api_server, celery_worker

DB = 10
ALICE, BOB = "tok-budget-alice", "tok-budget-bob"
DAILY_TOKENS = 300


@dataclass(frozen=True)
class BudgetStack:
    api: str
    model: FakeOpenAI


@pytest.fixture(scope="module")
def stack(redis_srv: RedisServer, logs_dir: Path) -> Iterator[BudgetStack]:
    url = f"redis://127.0.0.1:{redis_srv.port}/{DB}"
    db = redis.Redis.from_url(url)
    db.flushdb()
    daily = {"AGENTJOBS_USER_DAILY_TOKENS": str(DAILY_TOKENS)}
    try:
        with (
            fake_openai_server() as model,
            api_server(
                url,
                logs_dir / "api-budgets.log",
                AGENTJOBS_API_TOKENS=f"{ALICE}:alice,{BOB}:bob",
                **daily,
            ) as api,
            celery_worker(
                url,
                logs_dir / "worker-budgets.log",
                2,
                OPENAI_API_KEY="test-key",
                OPENAI_BASE_URL=model.base_url,
                **daily,
            ),
        ):
            yield BudgetStack(api, model)
    finally:
        db.flushdb()
        db.close()


@pytest.fixture
async def alice(stack: BudgetStack) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {ALICE}"}
    async with httpx.AsyncClient(base_url=stack.api, headers=headers, timeout=10) as http:
        yield http


async def _run(
    stack: BudgetStack, http: httpx.AsyncClient, token: str, body: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """Start a job, follow it to its end; (terminal event, record, model calls served)."""
    served = len(stack.model.requests)
    response = await http.post("/jobs", json=body)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    async with job_socket(stack.api, job_id, token=token) as ws:
        end = await ws.until_end()
    record = (await http.get(f"/jobs/{job_id}")).json()
    return end, record, len(stack.model.requests) - served


async def test_max_model_calls_stops_a_longer_chat(
    stack: BudgetStack, alice: httpx.AsyncClient
) -> None:
    body = {"workflow": "model_chat", "params": {"turns": 6}, "budget": {"max_model_calls": 2}}
    end, record, served = await _run(stack, alice, ALICE, body)
    assert end["type"] == "workflow_failed" and end["reason"] == "budget_exceeded", end
    assert "max_model_calls" in end["error"]
    assert served <= 3 and record["usage"]["model_calls"] == served
    assert record["budget"] == {"max_model_calls": 2, "max_tokens": None, "max_cost_usd": None}


async def test_a_workflow_default_budget_applies_unless_the_job_gives_its_own(
    stack: BudgetStack, alice: httpx.AsyncClient
) -> None:
    body: dict[str, Any] = {"workflow": "model_chat_budgeted", "params": {"turns": 3}}
    end, _record, served = await _run(stack, alice, ALICE, body)
    assert end["reason"] == "budget_exceeded" and "max_model_calls is 1" in end["error"], end
    assert served == 1
    end, record, served = await _run(stack, alice, ALICE, body | {"budget": {"max_model_calls": 3}})
    assert end["type"] == "workflow_completed", end
    assert served == 3 == record["usage"]["model_calls"]


@pytest.mark.parametrize(
    ("budget", "field"),
    [({"max_tokens": 0}, "max_tokens"), ({"max_calls": 1}, "max_calls"), ([1], "budget")],
)
async def test_a_bad_budget_is_a_422_naming_it(
    alice: httpx.AsyncClient, budget: Any, field: str
) -> None:
    response = await alice.post("/jobs", json={"workflow": "model_chat", "budget": budget})
    assert response.status_code == 422
    assert field in str(response.json()["detail"])


async def test_a_user_over_the_daily_budget_is_stopped_and_refused(stack: BudgetStack) -> None:
    headers = {"Authorization": f"Bearer {BOB}"}
    async with httpx.AsyncClient(base_url=stack.api, headers=headers, timeout=10) as bob:
        body = {"workflow": "model_chat", "params": {"turns": 20}}
        end, record, _served = await _run(stack, bob, BOB, body)
        assert end["reason"] == "budget_exceeded", end
        assert "AGENTJOBS_USER_DAILY_TOKENS" in end["error"]
        usage = record["usage"]
        assert usage["prompt_tokens"] + usage["completion_tokens"] >= DAILY_TOKENS
        refused = await bob.post("/jobs", json=body)
        assert refused.status_code == 429
        assert "resets at" in refused.json()["detail"]
        assert 0 < int(refused.headers["retry-after"]) <= 86400
    # Alice's day is her own.
    headers = {"Authorization": f"Bearer {ALICE}"}
    async with httpx.AsyncClient(base_url=stack.api, headers=headers, timeout=10) as alice:
        assert (await alice.post("/jobs", json={"workflow": "chatty"})).status_code == 202
