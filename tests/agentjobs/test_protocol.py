"""Unit tests for the wire contract in ``agentjobs.protocol`` (pure pydantic, no Redis)."""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from agentjobs.protocol import (
    CLIENT_FRAME_ADAPTER,
    EVENT_ADAPTER,
    INPUT_REQUEST_TYPES,
    TERMINAL_TYPES,
    ApprovalDecision,
    CancelFrame,
    ErrorEvent,
    Event,
    InputFrame,
    InputReceived,
    InputRequest,
    JobQueued,
    JobStatus,
    MultipleChoice,
    PingFrame,
    Progress,
    StreamChunk,
    TextInput,
    TextMessage,
    ToolApproval,
    ToolCall,
    ToolResult,
    WorkflowCancelled,
    WorkflowCompleted,
    WorkflowFailed,
    WorkflowStarted,
    event_json,
)

JOB = "3f2b9c1e-8d4a-4c6b-9e0f-1a2b3c4d5e6f"
TS = datetime(2024, 5, 17, 9, 30, 12, 345678, tzinfo=UTC)


def _literal(cls: type[BaseModel]) -> str:
    """The single ``type`` literal of an event or frame class."""
    (value,) = typing.get_args(cls.model_fields["type"].annotation)
    return str(value)


def _members(annotated: object) -> tuple[type[BaseModel], ...]:
    """The classes of a (possibly ``Annotated``) union."""
    union = annotated
    if typing.get_origin(union) is typing.Annotated:
        union = typing.get_args(union)[0]
    members = typing.get_args(union)
    assert members and all(isinstance(m, type) and issubclass(m, BaseModel) for m in members)
    return members


EVENT_CLASSES = _members(Event)
ALL_EVENT_TYPES = {_literal(cls) for cls in EVENT_CLASSES}

SAMPLES = [
    JobQueued(
        id="1700000000000-0",
        job_id=JOB,
        ts=TS,
        workflow="trip_planner",
        params={"destination": "Lisbon", "days": 4, "tags": ["food", "museums"]},
    ),
    WorkflowStarted(
        id="1700000000001-0", job_id=JOB, ts=TS, workflow="trip_planner", worker="w1@h"
    ),
    TextMessage(
        id="1700000000002-0",
        job_id=JOB,
        ts=TS,
        sender="planner",
        recipient="critic",
        content="Day 1: Alfama — and a pastel de nata ☕",
    ),
    StreamChunk(id="1700000000002-1", job_id=JOB, ts=TS, sender="planner", content="Day 2: Be"),
    TextInput(
        id="1700000000003-0",
        job_id=JOB,
        ts=TS,
        request_id="req-1",
        prompt="Any dietary restrictions?",
        sender="planner",
        suggestions=["none", "vegetarian"],
        password=True,
    ),
    MultipleChoice(
        id="1700000000004-0",
        job_id=JOB,
        ts=TS,
        request_id="req-2",
        prompt="Pick activities",
        choices=["surf", "museum", "fado"],
        default="museum",
        single=False,
    ),
    ToolApproval(
        id="1700000000004-1",
        job_id=JOB,
        ts=TS,
        request_id="req-3",
        sender="planner",
        tool="book_hotel",
        arguments={"city": "Lisbon", "nights": 3},
        arguments_schema={"type": "object", "properties": {"nights": {"type": "integer"}}},
        reason="it spends money",
        default=ApprovalDecision(decision="reject", reason="nobody answered"),
        assignee=["bob"],
        deadline=TS,
    ),
    InputReceived(id="1700000000005-0", job_id=JOB, ts=TS, request_id="req-1", value="vegetarian"),
    InputReceived(
        id="1700000000005-1",
        job_id=JOB,
        ts=TS,
        request_id="req-3",
        value={"decision": "edit", "arguments": {"city": "Lisbon", "nights": 2}},
        by="bob",
    ),
    InputReceived(
        id="1700000000005-1", job_id=JOB, ts=TS, request_id="req-2", value=["surf", "fado"]
    ),
    ToolCall(
        id="1700000000006-0",
        job_id=JOB,
        ts=TS,
        sender="planner",
        call_id="call_9",
        function_name="weather",
        arguments='{"city": "Lisbon"}',
    ),
    ToolResult(
        id="1700000000007-0",
        job_id=JOB,
        ts=TS,
        sender="tools",
        call_id="call_9",
        function_name="weather",
        content="rate limited",
        is_error=True,
    ),
    Progress(id="1700000000008-0", job_id=JOB, ts=TS, content="2 of 4 days planned", fraction=0.5),
    ErrorEvent(id="1700000000009-0", job_id=JOB, ts=TS, short="LLM timeout", long="Traceback ..."),
    WorkflowCompleted(
        id="1700000000010-0",
        job_id=JOB,
        ts=TS,
        result={"days": [{"n": 1, "plan": "Alfama"}], "cost": 412.5, "ok": True, "note": None},
    ),
    WorkflowFailed(
        id="1700000000011-0", job_id=JOB, ts=TS, error="worker vanished", reason="worker_lost"
    ),
    WorkflowCancelled(id="1700000000012-0", job_id=JOB, ts=TS, by="alice"),
]


def _sample_id(event: BaseModel) -> str:
    return f"{event.type}:{event.id}"  # type: ignore[attr-defined]


def test_samples_cover_every_event_type() -> None:
    assert len(EVENT_CLASSES) == len(ALL_EVENT_TYPES)  # one literal per class
    assert {e.type for e in SAMPLES} == ALL_EVENT_TYPES
    assert {type(e) for e in SAMPLES} == set(EVENT_CLASSES)


@pytest.mark.parametrize("event", SAMPLES, ids=_sample_id)
def test_event_round_trips_through_adapter(event: BaseModel) -> None:
    parsed = EVENT_ADAPTER.validate_json(event.model_dump_json())
    assert type(parsed) is type(event)
    assert parsed == event
    assert parsed.model_dump() == event.model_dump()


@pytest.mark.parametrize("event", SAMPLES, ids=_sample_id)
def test_event_round_trips_through_python_dump(event: BaseModel) -> None:
    parsed = EVENT_ADAPTER.validate_python(event.model_dump(mode="json"))
    assert parsed == event


def test_default_event_fields() -> None:
    event = TextMessage(job_id=JOB, sender="a", content="hi")
    assert event.id == ""
    assert event.ts.tzinfo is not None
    assert event.ts.utcoffset() == UTC.utcoffset(None)
    assert EVENT_ADAPTER.validate_json(event.model_dump_json()) == event


def test_unknown_event_type_is_rejected() -> None:
    with pytest.raises(ValidationError):
        EVENT_ADAPTER.validate_json(json.dumps({"type": "telepathy", "job_id": JOB}))


def test_event_extra_field_is_rejected() -> None:
    body = json.loads(SAMPLES[2].model_dump_json())
    body["mood"] = "happy"
    with pytest.raises(ValidationError):
        EVENT_ADAPTER.validate_python(body)


def test_progress_fraction_is_bounded() -> None:
    with pytest.raises(ValidationError):
        Progress(job_id=JOB, content="x", fraction=1.5)


@pytest.mark.parametrize("event", SAMPLES, ids=_sample_id)
def test_event_json_splices_cursor(event: BaseModel) -> None:
    cursor = "1712345678901-42"
    body = event.model_dump_json(exclude={"id"})
    assert "id" not in json.loads(body)
    spliced = event_json(cursor, body)
    raw = json.loads(spliced)
    assert next(iter(raw)) == "id"
    assert raw["id"] == cursor
    parsed = EVENT_ADAPTER.validate_json(spliced)
    assert parsed.id == cursor
    assert parsed == event.model_copy(update={"id": cursor})


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (
            {"type": "input", "request_id": "r1", "value": "yes"},
            InputFrame(request_id="r1", value="yes"),
        ),
        (
            {"type": "input", "request_id": "r2", "value": ["a", "b"]},
            InputFrame(request_id="r2", value=["a", "b"]),
        ),
        ({"type": "input", "request_id": "r3", "value": []}, InputFrame(request_id="r3", value=[])),
        ({"type": "cancel"}, CancelFrame()),
        ({"type": "ping"}, PingFrame()),
    ],
)
def test_client_frames_parse(frame: dict[str, object], expected: BaseModel) -> None:
    parsed = CLIENT_FRAME_ADAPTER.validate_json(json.dumps(frame))
    assert type(parsed) is type(expected)
    assert parsed == expected


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "shout", "request_id": "r1"},
        {"request_id": "r1", "value": "x"},
        {"type": "input", "value": "x"},
        {"type": "input", "request_id": "r1"},
        {"type": "input", "request_id": "r1", "value": 3},
        {"type": "input", "request_id": "r1", "value": [1, 2]},
        {"type": "input", "request_id": "r1", "value": "x", "extra": 1},
        {"type": "cancel", "reason": "bored"},
        {"type": "ping", "nonce": 7},
    ],
    ids=[
        "unknown-type",
        "missing-type",
        "missing-request-id",
        "missing-value",
        "int-value",
        "int-list-value",
        "input-extra",
        "cancel-extra",
        "ping-extra",
    ],
)
def test_bad_client_frames_raise(frame: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CLIENT_FRAME_ADAPTER.validate_json(json.dumps(frame))


@pytest.mark.parametrize("status", list(JobStatus))
def test_job_status_is_terminal(status: JobStatus) -> None:
    terminal = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}
    assert status.is_terminal is (status in terminal)


def test_terminal_types_match_union() -> None:
    assert TERMINAL_TYPES <= ALL_EVENT_TYPES
    assert {
        _literal(WorkflowCompleted),
        _literal(WorkflowFailed),
        _literal(WorkflowCancelled),
    } == TERMINAL_TYPES
    assert "workflow_started" not in TERMINAL_TYPES


def test_input_request_types_match_union() -> None:
    request_classes = _members(InputRequest)
    assert set(request_classes) == {TextInput, MultipleChoice, ToolApproval}
    assert set(request_classes) <= set(EVENT_CLASSES)
    assert {_literal(cls) for cls in request_classes} == INPUT_REQUEST_TYPES
    assert INPUT_REQUEST_TYPES <= ALL_EVENT_TYPES
    assert not INPUT_REQUEST_TYPES & TERMINAL_TYPES
