"""Unit tests of the FastAgency translation: agentjobs events in, exactly-keyed frames out."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from agentjobs.protocol import (
    ErrorEvent,
    InputReceived,
    JobQueued,
    MultipleChoice,
    Progress,
    StreamChunk,
    TextInput,
    TextMessage,
    ToolCall,
    ToolResult,
    WorkflowCancelled,
    WorkflowCompleted,
    WorkflowFailed,
    WorkflowStarted,
    event_json,
)
from backend.event_log import StoredEvent
from backend.fastagency.answers import answer_value
from backend.fastagency.frames import FRAME_ADAPTER, KeepAliveFrame, frame_uuid
from backend.fastagency.translate import FrameTranslator, RunInfo, tool_arguments
from tests.support.fastagency_wire import CONTENT_KEYS, assert_frame_shape

JOB = "0123456789abcdef0123456789abcdef"
RUN = RunInfo(job_id=JOB, name="trip", description="Plans a trip", params={"days": 2})


def stored(event: Any, seq: int) -> StoredEvent:
    """An event as the relay reads it from the log, with cursor ``1-<seq>``."""
    cursor = f"1-{seq}"
    return StoredEvent(
        cursor, event.type, event_json(cursor, event.model_dump_json(exclude={"id"}))
    )


def run_of(*events: Any) -> tuple[FrameTranslator, list[dict[str, Any]]]:
    """Translate events in order; the frames as the client receives them (parsed JSON)."""
    translator = FrameTranslator(RUN)
    frames = []
    for seq, event in enumerate(events, start=1):
        frames += [
            json.loads(f.model_dump_json()) for f in translator.translate(stored(event, seq))
        ]
    return translator, frames


STARTED = WorkflowStarted(job_id=JOB, workflow="trip", worker="w1")
ASK = TextInput(job_id=JOB, request_id="r1", prompt="Where?", sender="Planner", suggestions=["x"])
CHOOSE = MultipleChoice(job_id=JOB, request_id="r2", prompt="Pick", choices=["a", "b"], default="a")
EVERY_KIND = [
    JobQueued(job_id=JOB, workflow="trip", params={"days": 2}),
    STARTED,
    TextMessage(job_id=JOB, sender="Planner", recipient="Traveler", content="hello"),
    StreamChunk(job_id=JOB, sender="Planner", content="hel"),
    ASK,
    InputReceived(job_id=JOB, request_id="r1", value="Tokyo"),
    CHOOSE,
    ToolCall(job_id=JOB, sender="Planner", call_id="c1", function_name="f", arguments='{"a": 1}'),
    ToolResult(job_id=JOB, sender="Planner", call_id="c1", function_name="f", content="42"),
    Progress(job_id=JOB, content="Halfway", fraction=0.5),
    ErrorEvent(job_id=JOB, short="oops", long="details"),
    WorkflowCompleted(job_id=JOB, result="done"),
]


def test_every_frame_has_exactly_the_protocol_keys_and_round_trips() -> None:
    _, frames = run_of(*EVERY_KIND)
    for frame in frames:
        assert_frame_shape(frame)
        assert json.loads(FRAME_ADAPTER.validate_python(frame).model_dump_json()) == frame
    assert {f["workflow_uuid"] for f in frames} == {JOB}
    assert len({f["uuid"] for f in frames}) == len(frames)


def test_types_map_as_the_protocol_says_and_job_queued_chunks_and_receipts_are_not_sent() -> None:
    _, frames = run_of(*EVERY_KIND)
    assert [f["type"] for f in frames] == [
        "workflow_started",
        "text_message",
        "text_input",
        "multiple_choice",
        "suggested_function_call",
        "function_call_execution",
        "system_message",
        "error",
        "workflow_completed",
    ]
    assert set(CONTENT_KEYS) - {f["type"] for f in frames} == {"keep_alive"}


def test_contents_carry_the_event_fields() -> None:
    _, frames = run_of(*EVERY_KIND)
    by_type = {f["type"]: f for f in frames}
    assert by_type["workflow_started"]["content"] == {
        "name": "trip",
        "description": "Plans a trip",
        "params": {"days": 2},
    }
    text = by_type["text_message"]
    assert (text["sender"], text["recipient"], text["content"]) == (
        "Planner",
        "Traveler",
        {"body": "hello"},
    )
    assert by_type["text_input"]["content"] == {
        "prompt": "Where?",
        "suggestions": ["x"],
        "password": False,
    }
    assert by_type["multiple_choice"]["content"] == {
        "prompt": "Pick",
        "choices": ["a", "b"],
        "default": "a",
        "single": True,
    }
    assert by_type["suggested_function_call"]["content"] == {
        "function_name": "f",
        "call_id": "c1",
        "arguments": {"a": 1},
    }
    assert by_type["function_call_execution"]["content"]["retval"] == "42"
    assert by_type["system_message"]["content"]["message"] == {
        "heading": "Progress",
        "body": "Halfway (50%)",
    }
    assert by_type["error"]["content"] == {"short": "oops", "long": "details"}
    assert by_type["workflow_completed"]["content"] == {"result": "done"}


@pytest.mark.parametrize(
    ("terminal", "short", "result"),
    [
        (
            WorkflowFailed(job_id=JOB, error="boom", reason="exception"),
            "Workflow failed (exception)",
            "failed (exception): boom",
        ),
        (WorkflowCancelled(job_id=JOB, by="alice"), "Workflow cancelled", "cancelled by alice"),
    ],
)
def test_failure_and_cancellation_are_an_error_then_workflow_completed(
    terminal: Any, short: str, result: str
) -> None:
    _, frames = run_of(STARTED, terminal)
    assert [f["type"] for f in frames] == ["workflow_started", "error", "workflow_completed"]
    assert frames[1]["content"]["short"] == short
    assert frames[2]["content"]["result"] == result


def test_workflow_started_comes_first_even_when_the_run_never_started() -> None:
    # Cancelled while queued: no workflow_started event in the log at all.
    _, frames = run_of(JobQueued(job_id=JOB, workflow="trip"), WorkflowCancelled(job_id=JOB))
    assert [f["type"] for f in frames] == ["workflow_started", "error", "workflow_completed"]


def test_workflow_started_is_sent_once() -> None:
    _, frames = run_of(STARTED, STARTED, WorkflowCompleted(job_id=JOB, result="x"))
    assert [f["type"] for f in frames] == ["workflow_started", "workflow_completed"]


def test_non_text_results_are_sent_as_json_text() -> None:
    _, frames = run_of(STARTED, WorkflowCompleted(job_id=JOB, result={"days": [1, 2]}))
    assert json.loads(frames[-1]["content"]["result"]) == {"days": [1, 2]}


def test_frame_uuids_are_stable_for_the_same_event() -> None:
    _, first = run_of(STARTED, ASK)
    _, again = run_of(STARTED, ASK)
    assert [f["uuid"] for f in first] == [f["uuid"] for f in again]


def test_each_frame_of_an_event_is_numbered_from_its_cursor_a_missed_start_first() -> None:
    # A socket that joins after the start: the failure's two frames follow the start it shows.
    _, frames = run_of(WorkflowFailed(job_id=JOB, error="boom"))
    assert [f["type"] for f in frames] == ["workflow_started", "error", "workflow_completed"]
    assert [f["uuid"] for f in frames] == [frame_uuid(JOB, "1-1", number) for number in range(3)]
    _, frames = run_of(STARTED, WorkflowFailed(job_id=JOB, error="boom"))
    expected = [frame_uuid(JOB, "1-1", 0)] + [frame_uuid(JOB, "1-2", n) for n in range(2)]
    assert [f["uuid"] for f in frames] == expected


@pytest.mark.parametrize("number", [0, 1, 7])
def test_frame_uuid_is_the_name_based_uuid_of_job_cursor_and_number(number: int) -> None:
    namespace = uuid.UUID("5b0e3f0c-6a86-4a59-9f4e-0c1f8c7d2a11")
    expected = uuid.uuid5(namespace, f"{JOB}/1700000000000-3/{number}")
    assert frame_uuid(JOB, "1700000000000-3", number) == expected.hex
    assert uuid.UUID(hex=frame_uuid(JOB, "1700000000000-3", number)).version == 5


def test_keep_alive_has_an_empty_content() -> None:
    frame = json.loads(KeepAliveFrame(workflow_uuid=JOB).model_dump_json())
    assert_frame_shape(frame)
    assert frame["content"] == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"city": "Tokyo"}', {"city": "Tokyo"}),
        ("[1, 2]", {"arguments": [1, 2]}),
        ("not json", {"arguments": "not json"}),
    ],
)
def test_tool_arguments_are_always_an_object(raw: str, expected: dict[str, Any]) -> None:
    assert tool_arguments(raw) == expected


def test_the_asked_question_is_tracked_until_its_answer_is_logged() -> None:
    translator, _ = run_of(STARTED, ASK)
    assert translator.asked is not None and translator.asked.request_id == "r1"
    translator.translate(stored(InputReceived(job_id=JOB, request_id="other", value="x"), 10))
    assert translator.asked is not None  # a receipt for another request changes nothing
    translator.translate(stored(InputReceived(job_id=JOB, request_id="r1", value="x"), 11))
    assert translator.asked is None


def test_nothing_is_asked_after_the_run_ends() -> None:
    translator, _ = run_of(STARTED, ASK, WorkflowFailed(job_id=JOB, error="x"))
    assert translator.asked is None


def multi(default: str | None = None) -> MultipleChoice:
    return MultipleChoice(
        job_id=JOB,
        request_id="r",
        prompt="p",
        choices=["a", "b", "c, d"],
        single=False,
        default=default,
    )


@pytest.mark.parametrize(
    ("request_", "text", "value"),
    [
        (ASK, "Tokyo, Japan", "Tokyo, Japan"),
        (CHOOSE, "b", "b"),
        (CHOOSE, "", "a"),
        (multi(), "a,b", ["a", "b"]),
        (multi(), " a , b ", ["a", "b"]),
        (multi(), "c, d", ["c, d"]),
        (multi(), "", []),
        (multi("b"), "", ["b"]),
    ],
)
def test_bare_string_answers_become_the_value_the_request_takes(
    request_: Any, text: str, value: Any
) -> None:
    assert answer_value(request_, text) == value
