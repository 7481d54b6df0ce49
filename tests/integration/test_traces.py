"""Traces: with an OTLP endpoint, one job is one trace (request, enqueue, run attempts, model
calls, human waits); with none, no tracer provider, exporter or instrumentation is loaded."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.client import job_socket, start_job
from tests.support.durable import model_env
from tests.support.fake_openai import FakeOpenAI, _answer, _usage, fake_openai_server
from tests.support.otlp_receiver import OtlpReceiver, ReceivedSpan, otlp_receiver
from tests.support.stack import ROOT, RedisServer, api_server, base_env, celery_worker, wait_until

DB = 12
"""A database of its own (the session stack uses 0, ``isolated_db`` 14)."""
MODEL = "fake-traced-model"
SERVER, PRODUCER, CONSUMER = 2, 4, 5
"""OTLP span kinds."""


@dataclass(frozen=True)
class TracedStack:
    """An API and a worker exporting to ``receiver``, their model the fake server."""

    api: str
    model: FakeOpenAI
    receiver: OtlpReceiver
    worker_log: Path


@pytest.fixture(scope="module")
def traced(redis_srv: RedisServer, logs_dir: Path) -> Iterator[TracedStack]:
    url = f"redis://127.0.0.1:{redis_srv.port}/{DB}"
    db = redis.Redis.from_url(url)
    db.flushdb()
    try:
        with otlp_receiver() as receiver, fake_openai_server() as model:
            # A short batch delay: spans reach the receiver within ~0.1 s of ending.
            otel = {
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "100",
            }
            # Suspend at the first question, so the answer resumes the job in a second attempt.
            worker_env = {**otel, **model_env(model), "AGENTJOBS_MODEL": MODEL}
            worker_env["AGENTJOBS_SUSPEND_AFTER_SECONDS"] = "0"
            worker_log = logs_dir / "worker-traces.log"
            with (
                celery_worker(url, worker_log, concurrency=2, **worker_env),
                api_server(url, logs_dir / "api-traces.log", **otel) as api,
            ):
                yield TracedStack(api, model, receiver, worker_log)
    finally:
        db.flushdb()
        db.close()


def _ancestors(span: ReceivedSpan, by_id: dict[str, ReceivedSpan]) -> list[ReceivedSpan]:
    chain = []
    while span.parent_id in by_id:
        span = by_id[span.parent_id]
        chain.append(span)
    return chain


def _reported_usage(model: FakeOpenAI, response_id: str) -> dict[str, int]:
    """What the fake server reported for the request it answered with ``response_id``."""
    number = int(response_id.rsplit("-", 1)[1])  # the server numbers requests from 1
    body = model.requests[number - 1]
    text, call = _answer(body, number)
    return _usage(body, text or json.dumps(call))


def _suspended(http: httpx.Client, job_id: str) -> bool:
    record = http.get(f"/jobs/{job_id}").json()
    return bool(record["suspended"]) and record["status"] == "awaiting_input"


def _one(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
    named = [s for s in spans if s.name == name]
    assert len(named) == 1, (name, sorted(s.name for s in spans))
    return named[0]


def _is_chat(span: ReceivedSpan) -> bool:
    return span.attributes.get("gen_ai.operation.name") == "chat"


async def test_a_job_is_one_trace_from_request_to_model_calls(traced: TracedStack) -> None:
    api, model, receiver = traced.api, traced.model, traced.receiver
    since = len(model.requests)
    async with httpx.AsyncClient(base_url=api, timeout=10) as http:
        job_id = await start_job(http, "learning_chat", turns=4)
        with httpx.Client(base_url=api) as sync_http:
            wait_until(lambda: _suspended(sync_http, job_id), 10, "the job to suspend")
        pending = (await http.get(f"/jobs/{job_id}")).json()["pending"]
        answer = {"request_id": pending["request_id"], "value": "primes"}
        assert (await http.post(f"/jobs/{job_id}/input", json=answer)).status_code == 200
        async with job_socket(api, job_id) as ws:
            end = await ws.until_end()
        record = (await http.get(f"/jobs/{job_id}")).json()
    assert end["type"] == "workflow_completed", end
    calls = len(model.requests) - since
    assert calls == 4
    trace_id = record["trace_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id), record
    assert record["traceparent"].split("-")[1] == trace_id

    def complete(spans: list[ReceivedSpan]) -> bool:
        ours = [s for s in spans if s.trace_id == trace_id]
        attempts = [s for s in ours if s.name == "attempt learning_chat"]
        if len(attempts) != 2 or sum(map(_is_chat, ours)) != calls:
            return False
        # The resumed run's Celery span and the answer's request, in the answer's trace: each
        # process exports its spans when they end, in batches of its own, in any order.
        linked = {link for attempt in attempts for link in attempt.links}
        received = {(s.trace_id, s.span_id) for s in spans}
        answers = {s.trace_id for s in spans if s.name == "POST /jobs/{job_id}/input"}
        return linked <= received and {trace for trace, _ in linked} <= answers

    receiver.wait_for(complete, timeout=15)
    spans = receiver.trace(trace_id)
    by_id = {s.span_id: s for s in spans}

    # The request that created the job is the trace's root, in the API.
    request = _one(spans, "POST /jobs")
    assert (request.service, request.kind, request.parent_id) == ("agentjobs-api", SERVER, "")
    # The enqueue (send_task by name) and the run (shadow-named task, threads pool) are linked
    # through the Celery message headers.
    enqueue = _one(spans, "apply_async/agentjobs.run_workflow")
    assert enqueue.kind == PRODUCER and request in _ancestors(enqueue, by_id)
    assert enqueue.attributes["messaging.message.id"] == job_id
    run = _one(spans, "run/agentjobs.run_workflow")
    assert (run.service, run.kind, run.parent_id) == ("agentjobs-worker", CONSUMER, enqueue.span_id)

    # Two attempts: the first asks and suspends; the answer resumes the job, and the resumed
    # attempt joins the job's trace though its task was sent by the answer's request.
    attempts = sorted(
        (s for s in spans if s.name == "attempt learning_chat"),
        key=lambda s: s.attributes["agentjobs.attempt"],
    )
    first, resumed = attempts
    assert first.parent_id == run.span_id
    assert (first.attributes["agentjobs.resumed"], resumed.attributes["agentjobs.resumed"]) == (
        False,
        True,
    )
    assert first.attributes["agentjobs.outcome"] == "suspended"
    assert resumed.attributes["agentjobs.outcome"] == "succeeded"
    assert {s.attributes["agentjobs.job_id"] for s in attempts} == {job_id}
    assert request in _ancestors(resumed, by_id)
    [(linked_trace, linked_span)] = resumed.links  # the resumed run's Celery span
    assert linked_trace != trace_id
    answer_trace = {s.span_id: s for s in receiver.trace(linked_trace)}
    assert answer_trace[linked_span].name == run.name
    answered = _ancestors(answer_trace[linked_span], answer_trace)
    assert [s.name for s in answered][-1] == "POST /jobs/{job_id}/input"

    # The human wait, in the first attempt.
    [wait] = [s for s in spans if s.name == "human wait"]
    assert first in _ancestors(wait, by_id)
    assert wait.attributes["agentjobs.job_id"] == job_id

    # A span per model call, in the resumed attempt, with the tokens the server reported.
    chats = [s for s in spans if _is_chat(s)]
    assert len(chats) == calls
    for chat in chats:
        assert resumed in _ancestors(chat, by_id)
        assert chat.service == "agentjobs-worker"
        assert chat.attributes["gen_ai.request.model"] == MODEL
        reported = _reported_usage(model, chat.attributes["gen_ai.response.id"])
        assert chat.attributes["gen_ai.usage.input_tokens"] == reported["prompt_tokens"]
        assert chat.attributes["gen_ai.usage.output_tokens"] == reported["completion_tokens"]
    # The worker's log lines written inside the job's spans carry its trace id.
    lines = [line for line in traced.worker_log.read_text().splitlines() if job_id in line]
    traced_lines = [line for line in lines if f"trace_id={trace_id}" in line]
    assert any("HTTP Request: POST" in line for line in traced_lines), lines
    assert any("suspended while it waits" in line for line in traced_lines), lines
    # Nothing of this job went to another trace but the resumed task's own hop.
    strays = {
        s.trace_id
        for s in receiver.spans
        if s.trace_id != trace_id and job_id in {str(v) for v in s.attributes.values()}
    }
    assert strays <= {linked_trace}


TRACING_MODULES = (
    "opentelemetry.sdk.trace",
    "opentelemetry.exporter",
    "opentelemetry.instrumentation",
)
"""What tracing loads. (Not the whole SDK: redis-py imports ``opentelemetry.sdk.metrics`` for its
own observability whenever the SDK is installed.)"""


def _imports_in(env: dict[str, str]) -> dict[str, object]:
    """Which tracing modules importing the API app and the worker's tasks loads, and the
    tracer provider then in place, in a fresh process."""
    code = (
        "import sys, json\n"
        "import backend.main, worker.tasks\n"
        "from opentelemetry import trace\n"
        f"watched = {TRACING_MODULES!r}\n"
        "loaded = sorted({w for w in watched for m in sys.modules if m.startswith(w)})\n"
        "provider = type(trace.get_tracer_provider()).__name__\n"
        "print(json.dumps({'loaded': loaded, 'provider': provider}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    return dict(json.loads(done.stdout.decode().strip().splitlines()[-1]))


def test_without_an_endpoint_no_tracing_is_loaded(redis_srv: RedisServer) -> None:
    plain = {k: v for k, v in base_env(redis_srv.url).items() if not k.startswith("OTEL_")}
    assert _imports_in(plain) == {"loaded": [], "provider": "ProxyTracerProvider"}
    # The same check sees it all once an endpoint is set (nothing listens: nothing is sent).
    traced = {**plain, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}
    assert _imports_in(traced) == {"loaded": sorted(TRACING_MODULES), "provider": "_Provider"}


async def test_tool_calls_and_every_wait_are_spans_of_the_job(traced: TracedStack) -> None:
    api, receiver = traced.api, traced.receiver
    async with httpx.AsyncClient(base_url=api, timeout=10) as http:
        job_id = await start_job(http, "trip_planner", days=2)
        async with job_socket(api, job_id) as ws:
            choice = await ws.until("multiple_choice")
            await ws.send({"type": "input", "request_id": choice["request_id"], "value": "Lisbon"})
            question = await ws.until("text_input")
            await ws.send({"type": "input", "request_id": question["request_id"], "value": "ok"})
            end = await ws.until_end()
        trace_id = (await http.get(f"/jobs/{job_id}")).json()["trace_id"]
    assert end["type"] == "workflow_completed", end
    [call] = [e for e in ws.events if e["type"] == "tool_call"]
    asked = {e["request_id"] for e in ws.events if e["type"] in ("multiple_choice", "text_input")}

    def in_an_attempt(tool: ReceivedSpan, by_id: dict[str, ReceivedSpan]) -> bool:
        return any(s.name == "attempt trip_planner" for s in _ancestors(tool, by_id))

    def complete(spans: list[ReceivedSpan]) -> bool:
        ours = [s for s in spans if s.trace_id == trace_id]
        tools = [s for s in ours if s.name.startswith("execute_tool")]
        waits = [s for s in ours if s.name == "human wait"]
        # The attempt ends after the tool: its span may come in a later export than the tool's.
        by_id = {s.span_id: s for s in ours}
        return len(tools) == 1 and len(waits) == len(asked) and in_an_attempt(tools[0], by_id)

    receiver.wait_for(complete, timeout=15)
    spans = receiver.trace(trace_id)
    [tool] = [s for s in spans if s.name.startswith("execute_tool")]
    assert tool.name == f"execute_tool {call['function_name']}"
    assert tool.attributes["gen_ai.tool.call.id"] == call["call_id"]
    waits = [s for s in spans if s.name == "human wait"]
    assert {w.attributes["agentjobs.reply_key"].rsplit(":", 1)[1] for w in waits} == asked
