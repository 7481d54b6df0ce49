"""The examples on the real OpenAI model path (autogen-ext's client, the openai package) against
a fake OpenAI-compatible server: a worker given ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.client import Frame, job_socket, start_job
from tests.support.fake_openai import MARKER, FakeOpenAI, fake_openai_server
from tests.support.stack import RedisServer, api_server, celery_worker

DB = 15
"""A database of its own: the session stack uses 0 and ``isolated_db`` 14."""
MODEL = "fake-model"
KEY = "test-key"


@dataclass(frozen=True)
class OpenAIStack:
    """An API and a worker whose model is the fake server."""

    api: str
    model: FakeOpenAI


@pytest.fixture(scope="module")
def openai_stack(redis_srv: RedisServer, logs_dir: Path) -> Iterator[OpenAIStack]:
    url = f"redis://127.0.0.1:{redis_srv.port}/{DB}"
    db = redis.Redis.from_url(url)
    db.flushdb()
    try:
        with (
            fake_openai_server() as model,
            celery_worker(
                url,
                logs_dir / "worker-openai.log",
                concurrency=2,
                OPENAI_API_KEY=KEY,
                OPENAI_BASE_URL=model.base_url,
                AGENTJOBS_MODEL=MODEL,
            ),
            api_server(url, logs_dir / "api-openai.log") as api,
        ):
            yield OpenAIStack(api, model)
    finally:
        db.flushdb()
        db.close()


def _offline_notices(events: list[Frame]) -> list[Frame]:
    return [
        e
        for e in events
        if e["type"] == "text_message"
        and e["sender"] == "agentjobs"
        and "offline" in e["content"].lower()
    ]


def _check_seen_by_model(model: FakeOpenAI, since: int) -> None:
    received = model.received[since:]
    assert received, "the fake model server saw no request"
    assert {r.body["model"] for r in received} == {MODEL}
    assert {r.headers.get("authorization") for r in received} == {f"Bearer {KEY}"}


async def test_learning_chat_talks_to_the_configured_model(openai_stack: OpenAIStack) -> None:
    api, model = openai_stack.api, openai_stack.model
    since = len(model.received)
    async with httpx.AsyncClient(base_url=api, timeout=10) as http:
        job_id = await start_job(http, "learning_chat", turns=4)
        async with job_socket(api, job_id) as ws:
            question = await ws.until("text_input")
            await ws.send(
                {"type": "input", "request_id": question["request_id"], "value": "primes"}
            )
            end = await ws.until_end()

    assert end["type"] == "workflow_completed", end
    assert "primes" in end["result"] and MARKER in end["result"]
    assert not _offline_notices(ws.events)
    said = [e for e in ws.events if e["type"] == "text_message" and e["sender"] != "agentjobs"]
    assert [e["sender"] for e in said] == ["Student", "Teacher", "Student", "Teacher"]
    for message in said:
        assert message["content"].startswith(f"{MARKER} reply "), message
        assert f" to {MODEL}: " in message["content"]
    # The first request carried the task, and the Student's reply echoes it.
    assert "The Student wants to learn about primes" in said[0]["content"]

    # The Teacher streams: its chunks add up to exactly what it said.
    chunks = [e for e in ws.events if e["type"] == "stream_chunk"]
    assert chunks and {c["sender"] for c in chunks} == {"Teacher"}
    teacher_said = "".join(e["content"] for e in said if e["sender"] == "Teacher")
    assert "".join(c["content"] for c in chunks) == teacher_said
    # Once the messages are complete, the log keeps them alone: no text is stored twice.
    async with httpx.AsyncClient(base_url=api, timeout=10) as http:
        logged = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
    assert [e for e in logged if e["type"] == "stream_chunk"] == []
    assert [e for e in logged if e["type"] == "text_message"] == [
        e for e in ws.events if e["type"] == "text_message"
    ]

    _check_seen_by_model(model, since)
    bodies = model.requests[since:]
    assert len(bodies) == 4
    assert [bool(b.get("stream")) for b in bodies] == [False, True, False, True]


async def test_trip_planner_calls_its_tool_through_the_model(openai_stack: OpenAIStack) -> None:
    api, model = openai_stack.api, openai_stack.model
    since = len(model.received)
    async with httpx.AsyncClient(base_url=api, timeout=10) as http:
        job_id = await start_job(http, "trip_planner", days=2)
        async with job_socket(api, job_id) as ws:
            choice = await ws.until("multiple_choice")
            await ws.send({"type": "input", "request_id": choice["request_id"], "value": "Lisbon"})
            question = await ws.until("text_input")
            assert question["sender"] == "Traveler"
            await ws.send({"type": "input", "request_id": question["request_id"], "value": "ok"})
            end = await ws.until_end()

    assert end["type"] == "workflow_completed", end
    assert "Lisbon" in end["result"]
    assert not _offline_notices(ws.events)
    calls = [e for e in ws.events if e["type"] == "tool_call"]
    results = [e for e in ws.events if e["type"] == "tool_result"]
    assert [c["function_name"] for c in calls] == ["get_weather"]
    assert json.loads(calls[0]["arguments"]) == {"city": "Lisbon"}
    assert [r["call_id"] for r in results] == [calls[0]["call_id"]]
    assert results[0]["content"].startswith("Lisbon: ") and results[0]["is_error"] is False
    plan = [e for e in ws.events if e["type"] == "text_message" and e["sender"] == "Planner"]
    assert len(plan) == 1 and plan[0]["content"].startswith(MARKER)

    _check_seen_by_model(model, since)
    bodies = model.requests[since:]
    assert [t["function"]["name"] for t in bodies[0].get("tools", [])] == ["get_weather"]
    tool_messages = [m for b in bodies for m in b["messages"] if m.get("role") == "tool"]
    assert tool_messages, "the model never saw the tool's result"
    assert tool_messages[0]["tool_call_id"] == calls[0]["call_id"]
    assert tool_messages[0]["content"] == results[0]["content"]
