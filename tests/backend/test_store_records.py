"""Unit tests for the record codec and the event-log helpers (no Redis connection is made)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from agentjobs.protocol import (
    EVENT_ADAPTER,
    JobStatus,
    MultipleChoice,
    TextMessage,
    WorkflowCancelled,
    WorkflowCompleted,
    WorkflowFailed,
    WorkflowStarted,
    cursor_key,
    event_json,
)
from agentjobs.records import field_pairs, record_from_hash
from backend.event_log import StoredEvent, stored_events

JOB = "3f2b9c1e-8d4a-4c6b-9e0f-1a2b3c4d5e6f"
CREATED = datetime(2024, 5, 17, 9, 30, 0, 123456, tzinfo=UTC)
STARTED = CREATED + timedelta(seconds=2)
FINISHED = CREATED + timedelta(minutes=3)

PENDING = MultipleChoice(
    id="1715938205000-3",
    job_id=JOB,
    ts=STARTED,
    request_id="req-2",
    prompt="Pick activities",
    choices=["surf", "museum", "fado"],
    default="museum",
    single=False,
)
RESULT = {"days": [{"n": 1, "plan": "Alfama"}], "cost": 412.5, "ok": True}


def _full_hash() -> dict[str, str]:
    """A hash with every field the scripts write, including ones the record ignores."""
    return {
        "job_id": JOB,
        "workflow": "trip_planner",
        "params": json.dumps({"destination": "Lisbon", "days": 4}),
        "user": "alice",
        "status": "awaiting_input",
        "created_at": CREATED.isoformat(),
        "started_at": STARTED.isoformat(),
        "finished_at": FINISHED.isoformat(),
        "worker": "celery@host-1",
        "attempt": "2",
        "pending": event_json(PENDING.id, PENDING.model_dump_json(exclude={"id"})),
        "pending_id": "req-2",
        "token": "tok-abc",
        "result": json.dumps(RESULT),
        "error": "boom",
        "reason": "timeout",
        "last_event_id": "1715938205000-3",
    }


def test_record_from_full_hash() -> None:
    record = record_from_hash(_full_hash())
    assert record.job_id == JOB
    assert record.workflow == "trip_planner"
    assert record.params == {"destination": "Lisbon", "days": 4}
    assert record.user == "alice"
    assert record.status is JobStatus.AWAITING_INPUT
    assert record.created_at == CREATED
    assert record.created_at.tzinfo is not None
    assert record.started_at == STARTED
    assert record.finished_at == FINISHED
    assert record.worker == "celery@host-1"
    assert record.attempt == 2
    assert isinstance(record.pending, MultipleChoice)
    assert record.pending == PENDING
    assert record.result == RESULT
    assert record.error == "boom"
    assert record.reason == "timeout"
    assert record.last_event_id == "1715938205000-3"


def test_record_from_minimal_hash() -> None:
    raw = {
        "job_id": JOB,
        "workflow": "echo",
        "user": "bob",
        "status": "queued",
        "created_at": CREATED.isoformat(),
    }
    record = record_from_hash(raw)
    assert record.status is JobStatus.QUEUED
    assert record.params == {}
    assert record.attempt == 0
    assert record.created_at == CREATED
    assert record.started_at is None
    assert record.finished_at is None
    assert record.worker is None
    assert record.pending is None
    assert record.result is None
    assert record.error is None
    assert record.reason is None
    assert record.last_event_id is None


@pytest.mark.parametrize(
    ("text", "value"), [("false", False), ("0", 0), ('""', ""), ("null", None)]
)
def test_record_result_falsy_json(text: str, value: object) -> None:
    raw = _full_hash() | {"status": "succeeded", "result": text}
    del raw["pending"]
    record = record_from_hash(raw)
    assert record.result == value
    assert type(record.result) is type(value)
    assert record.pending is None


def test_record_empty_times_are_none() -> None:
    raw = _full_hash() | {"started_at": "", "finished_at": ""}
    record = record_from_hash(raw)
    assert record.started_at is None
    assert record.finished_at is None


def test_cursor_key_orders_numerically() -> None:
    cursors = ["1700000000001-0", "1700000000000-10", "1700000000000-9"]
    assert sorted(cursors, key=cursor_key) == [
        "1700000000000-9",
        "1700000000000-10",
        "1700000000001-0",
    ]
    assert cursor_key("1700000000000-9") < cursor_key("1700000000000-10")
    assert cursor_key("1700000000000-10") < cursor_key("1700000000001-0")
    assert "1700000000000-9" > "1700000000000-10"  # why a plain string sort is wrong


def test_cursor_key_parts() -> None:
    assert cursor_key("1700000000000-12") == (1700000000000, 12)
    assert cursor_key("0") == (0, 0)
    assert cursor_key("5-") == (5, 0)


def test_field_pairs() -> None:
    assert field_pairs({"status": "running", "worker": "w1"}) == [
        "2",
        "status",
        "running",
        "worker",
        "w1",
    ]
    assert field_pairs({}) == ["0"]


def _live_message(event: object, cursor: str) -> str:
    body = event.model_dump_json(exclude={"id"})  # type: ignore[attr-defined]
    return f"{event.type} {event_json(cursor, body)}"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("event", "terminal"),
    [
        (TextMessage(job_id=JOB, sender="planner", content='say "hi" {ok}'), False),
        (WorkflowStarted(job_id=JOB, workflow="trip_planner", worker="w1"), False),
        (WorkflowCompleted(job_id=JOB, result={"a": 1}), True),
        (WorkflowFailed(job_id=JOB, error="x", reason="worker_lost"), True),
        (WorkflowCancelled(job_id=JOB), True),
    ],
    ids=lambda v: getattr(v, "type", str(v)),
)
def test_stored_event_from_live(event: object, terminal: bool) -> None:
    message = _live_message(event, "1-2")
    stored = StoredEvent.from_live(message)
    assert stored.id == "1-2"
    assert stored.type == event.type  # type: ignore[attr-defined]
    assert stored.is_terminal is terminal
    parsed = EVENT_ADAPTER.validate_json(stored.json)
    assert parsed == event.model_copy(update={"id": "1-2"})  # type: ignore[attr-defined]


def test_stored_event_from_literal_live_message() -> None:
    stored = StoredEvent.from_live(
        'text_message {"id":"1-2","job_id":"j","sender":"a","content":"b"}'
    )
    assert stored == StoredEvent(
        id="1-2",
        type="text_message",
        json='{"id":"1-2","job_id":"j","sender":"a","content":"b"}',
    )
    assert not stored.is_terminal


def test_a_live_message_of_several_lines_is_each_event_in_order() -> None:
    said = TextMessage(job_id=JOB, sender="a", content="two\nlines")
    done = WorkflowCompleted(job_id=JOB, result=None)
    message = "\n".join([_live_message(said, "1-1"), _live_message(done, "1-2")])
    events = StoredEvent.all_from_live(message)
    assert [(e.id, e.type, e.is_terminal) for e in events] == [
        ("1-1", "text_message", False),
        ("1-2", "workflow_completed", True),
    ]
    assert EVENT_ADAPTER.validate_json(events[0].json) == said.model_copy(update={"id": "1-1"})


def test_stored_events_splices_ids_in_order() -> None:
    first = TextMessage(job_id=JOB, sender="a", content="one")
    last = WorkflowCompleted(job_id=JOB, result=None)
    entries = [
        ("1700000000000-9", {"t": first.type, "e": first.model_dump_json(exclude={"id"})}),
        ("1700000000000-10", {"t": last.type, "e": last.model_dump_json(exclude={"id"})}),
    ]
    events = stored_events(entries)
    assert [e.id for e in events] == ["1700000000000-9", "1700000000000-10"]
    assert [e.type for e in events] == ["text_message", "workflow_completed"]
    assert [e.is_terminal for e in events] == [False, True]
    assert EVENT_ADAPTER.validate_json(events[0].json) == first.model_copy(
        update={"id": "1700000000000-9"}
    )
    assert EVENT_ADAPTER.validate_json(events[1].json).id == "1700000000000-10"
    assert stored_events([]) == []
