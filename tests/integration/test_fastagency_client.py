"""FastAgency 0.10.2's real ``FastAPIProvider``, with a scripted UI, against the live stack.

The provider runs in its own venv (see ``tests/support/fastagency_env.py``); it parses every
frame with FastAgency's message classes, so a frame with a key or type it does not know would
end its run with an error.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from agentjobs.protocol import (
    MultipleChoice,
    Progress,
    TextInput,
    TextMessage,
    ToolCall,
    ToolResult,
    WorkflowCompleted,
    WorkflowFailed,
    WorkflowStarted,
    event_json,
)
from backend.event_log import StoredEvent
from backend.fastagency.frames import KeepAliveFrame
from backend.fastagency.translate import FrameTranslator, RunInfo, error_frame
from tests.support.fastagency_env import fastagency_client
from tests.support.fastagency_wire import CONTENT_KEYS


def run_with_provider(
    api_url: str, name: str, params: dict[str, Any], answers: list[str]
) -> list[dict[str, Any]]:
    """Run a workflow through FastAPIProvider; the messages its UI was shown, in order."""
    out = fastagency_client("run", api_url, name, json.dumps(params), json.dumps(answers))
    assert out["error"] is None, out
    messages: list[dict[str, Any]] = out["messages"]
    return messages


def of_class(messages: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [m["dump"] for m in messages if m["class"] == name]


async def assert_is_the_job(http: httpx.AsyncClient, messages: list[dict[str, Any]]) -> None:
    """Every message came from one agentjobs job, which succeeded with the completed result."""
    (job_id,) = {m["dump"]["workflow_uuid"] for m in messages}
    record = (await http.get(f"/jobs/{job_id}")).json()
    assert record["status"] == "succeeded", record
    assert record["result"] == messages[-1]["dump"]["content"]["result"]


def test_discovery_lists_the_examples(api_url: str) -> None:
    found = fastagency_client("discover", api_url)
    assert {"learning_chat", "trip_planner"} <= set(found["names"])
    catalog = {w["name"]: w["description"] for w in httpx.get(f"{api_url}/workflows").json()}
    assert found["descriptions"] == {name: catalog[name] for name in found["names"]}


async def test_learning_chat_completes_through_fastagency_provider(
    api_url: str, http: httpx.AsyncClient
) -> None:
    messages = run_with_provider(api_url, "learning_chat", {"turns": 2}, ["fractions"])
    assert messages[0]["class"] == "WorkflowStarted"
    assert messages[-1]["class"] == "WorkflowCompleted"
    assert of_class(messages, "WorkflowStarted")[0]["content"]["name"] == "learning_chat"
    (question,) = of_class(messages, "TextInput")
    assert question["content"]["prompt"] == "What do you want to learn today?"
    assert "fractions" in question["content"]["suggestions"]
    senders = {m["sender"] for m in of_class(messages, "TextMessage")}
    assert {"Student", "Teacher"} <= senders
    assert "fractions" in messages[-1]["dump"]["content"]["result"]
    assert not of_class(messages, "Error")
    await assert_is_the_job(http, messages)


async def test_trip_planner_completes_with_tool_calls_and_progress(
    api_url: str, http: httpx.AsyncClient
) -> None:
    messages = run_with_provider(api_url, "trip_planner", {"days": 2}, ["Tokyo", "Looks great"])
    assert messages[0]["class"] == "WorkflowStarted"
    (choice,) = of_class(messages, "MultipleChoice")
    assert choice["content"]["choices"] == ["Paris", "Tokyo", "Lisbon"]
    (execution,) = of_class(messages, "FunctionCallExecution")
    assert execution["content"]["function_name"] == "get_weather"
    assert "Tokyo" in execution["content"]["retval"]
    # Every tool call the job logged is shown, arguments as an object. (The worker does not
    # always log the call itself, only its result: checked against the log, not assumed.)
    job_id = execution["workflow_uuid"]
    events = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
    logged = [
        (e["call_id"], json.loads(e["arguments"])) for e in events if e["type"] == "tool_call"
    ]
    shown = of_class(messages, "SuggestedFunctionCall")
    assert [(c["content"]["call_id"], c["content"]["arguments"]) for c in shown] == logged
    assert all(arguments == {"city": "Tokyo"} for _, arguments in logged)
    progress = of_class(messages, "SystemMessage")
    assert progress and all(set(p["content"]["message"]) == {"heading", "body"} for p in progress)
    (feedback,) = of_class(messages, "TextInput")
    assert feedback["sender"] == "Traveler"
    result = messages[-1]["dump"]["content"]["result"]
    assert "Tokyo" in result and "Looks great" in result
    await assert_is_the_job(http, messages)


def every_frame_type() -> list[dict[str, Any]]:
    """One frame of each of the ten types, as the server would send them."""
    job = "0" * 32
    translator = FrameTranslator(RunInfo(job, "trip", "Plans", {"days": 1}))
    events = [
        WorkflowStarted(job_id=job, workflow="trip", worker="w"),
        TextMessage(job_id=job, sender="A", content="hi"),
        TextInput(job_id=job, request_id="r", prompt="Why?", password=True),
        MultipleChoice(job_id=job, request_id="s", prompt="Pick", choices=["a", "b"], single=False),
        ToolCall(job_id=job, sender="A", call_id="c", function_name="f", arguments='{"x": 1}'),
        ToolResult(job_id=job, sender="A", call_id="c", function_name="f", content="2"),
        Progress(job_id=job, content="half", fraction=0.5),
        WorkflowCompleted(job_id=job, result=["not", "text"]),
        WorkflowFailed(job_id=job, error="boom"),
    ]
    frames = []
    for seq, event in enumerate(events, start=1):
        body = event_json(f"1-{seq}", event.model_dump_json(exclude={"id"}))
        frames += translator.translate(StoredEvent(f"1-{seq}", event.type, body))
    frames += [KeepAliveFrame(workflow_uuid=job), error_frame(job, "short", "long")]
    return [json.loads(f.model_dump_json()) for f in frames]


def test_every_frame_type_builds_fastagency_message_classes() -> None:
    frames = every_frame_type()
    assert {f["type"] for f in frames} == set(CONTENT_KEYS)
    out = fastagency_client("parse", stdin=frames)
    assert out["errors"] == []
    # Rebuilt by FastAgency and dumped again: the very same frame, key for key.
    assert [p["dump"] for p in out["parsed"]] == frames
