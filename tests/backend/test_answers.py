"""Unit tests for ``backend.answers`` (no Redis: the store is a stub or never reached)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from agentjobs.protocol import (
    AnswerValue,
    InputRequest,
    JobRecord,
    JobStatus,
    MultipleChoice,
    TextInput,
    ToolApproval,
)
from backend.answers import AnswerRejected, check_value, submit_answer
from backend.job_outcomes import AnswerOutcome, TakenAnswer
from backend.store import JobStore

JOB = "3f2b9c1e-8d4a-4c6b-9e0f-1a2b3c4d5e6f"

TEXT = TextInput(job_id=JOB, request_id="req-t", prompt="Your name?")
SINGLE = MultipleChoice(
    job_id=JOB, request_id="req-s", prompt="Pick one", choices=["red", "green", "blue"]
)
MULTI = MultipleChoice(
    job_id=JOB, request_id="req-m", prompt="Pick some", choices=["a", "b", "c"], single=False
)


def _record(
    pending: InputRequest | None, status: JobStatus = JobStatus.AWAITING_INPUT
) -> JobRecord:
    return JobRecord(
        job_id=JOB,
        workflow="trip_planner",
        user="alice",
        status=status,
        created_at=datetime(2024, 5, 17, tzinfo=UTC),
        pending=pending,
    )


class StubStore:
    """Records ``answer`` calls and returns a canned outcome."""

    def __init__(
        self, outcome: AnswerOutcome = AnswerOutcome.ACCEPTED, taken: TakenAnswer | None = None
    ) -> None:
        self.outcome = outcome
        self.taken = taken
        self.calls: list[tuple[str, str, Any]] = []

    async def answer(
        self,
        job_id: str,
        request_id: str,
        value: AnswerValue,
        *,
        secret: bool = False,
        by: str = "",
        idempotency_key: str = "",
    ) -> AnswerOutcome:
        self.calls.append((job_id, request_id, value))
        self.secret = secret
        self.by = by
        return self.outcome

    async def answered(self, job_id: str, request_id: str) -> TakenAnswer | None:
        return self.taken


def _store(stub: StubStore) -> JobStore:
    return cast(JobStore, stub)


# check_value


@pytest.mark.parametrize("value", ["Ana", ""])
def test_text_input_accepts_string(value: str) -> None:
    check_value(TEXT, value)


def test_text_input_refuses_list() -> None:
    with pytest.raises(AnswerRejected) as info:
        check_value(TEXT, ["Ana"])
    assert info.value.status_code == 422
    assert "string" in info.value.detail


@pytest.mark.parametrize("value", ["red", "blue"])
def test_single_choice_accepts_offered(value: str) -> None:
    check_value(SINGLE, value)


@pytest.mark.parametrize(
    ("value", "shown"),
    [("purple", "'purple'"), ("Red", "'Red'"), (["red"], "['red']")],
    ids=["not-offered", "case-differs", "list"],
)
def test_single_choice_refuses(value: AnswerValue, shown: str) -> None:
    with pytest.raises(AnswerRejected) as info:
        check_value(SINGLE, value)
    assert info.value.status_code == 422
    assert shown in info.value.detail
    assert str(info.value) == info.value.detail


@pytest.mark.parametrize("value", [["a"], ["a", "c"], ["a", "b", "c"], []])
def test_multi_choice_accepts_subset(value: list[str]) -> None:
    check_value(MULTI, value)


def test_multi_choice_wants_a_list_even_for_one_choice() -> None:
    with pytest.raises(AnswerRejected) as info:
        check_value(MULTI, "b")
    assert info.value.status_code == 422
    assert "list" in info.value.detail


@pytest.mark.parametrize(
    ("value", "bad"),
    [(["a", "z"], "['z']"), (["x", "y"], "['x', 'y']")],
)
def test_multi_choice_refuses_items_not_offered(value: AnswerValue, bad: str) -> None:
    with pytest.raises(AnswerRejected) as info:
        check_value(MULTI, value)
    assert info.value.status_code == 422
    assert bad in info.value.detail


# submit_answer: paths that return before the store


async def test_oversized_answer_is_413() -> None:
    stub = StubStore()
    with pytest.raises(AnswerRejected) as info:
        await submit_answer(_store(stub), _record(TEXT), "req-t", "x" * 100, max_bytes=50)
    assert info.value.status_code == 413
    assert "50" in info.value.detail
    assert stub.calls == []


async def test_size_is_checked_before_pending() -> None:
    with pytest.raises(AnswerRejected) as info:
        await submit_answer(cast(JobStore, None), _record(None), "req-t", ["y"] * 50, max_bytes=10)
    assert info.value.status_code == 413


async def test_size_limit_boundary() -> None:
    stub = StubStore()
    # json.dumps("abc") == '"abc"' is 5 characters: exactly at the limit is accepted.
    await submit_answer(_store(stub), _record(TEXT), "req-t", "abc", max_bytes=5)
    assert stub.calls == [(JOB, "req-t", "abc")]
    with pytest.raises(AnswerRejected) as info:
        await submit_answer(_store(stub), _record(TEXT), "req-t", "abcd", max_bytes=5)
    assert info.value.status_code == 413
    assert len(stub.calls) == 1


async def test_no_pending_request_is_409() -> None:
    record = _record(None, status=JobStatus.RUNNING)
    with pytest.raises(AnswerRejected) as info:
        await submit_answer(_store(StubStore()), record, "req-t", "Ana", max_bytes=1000)
    assert info.value.status_code == 409
    assert "'req-t'" in info.value.detail
    assert JOB in info.value.detail
    assert "running" in info.value.detail


async def test_other_request_id_is_409() -> None:
    stub = StubStore()
    with pytest.raises(AnswerRejected) as info:
        await submit_answer(_store(stub), _record(SINGLE), "req-old", "red", max_bytes=1000)
    assert info.value.status_code == 409
    assert "'req-old'" in info.value.detail
    assert stub.calls == []


async def test_invalid_value_is_422_before_store() -> None:
    stub = StubStore()
    with pytest.raises(AnswerRejected) as info:
        await submit_answer(_store(stub), _record(SINGLE), "req-s", "purple", max_bytes=1000)
    assert info.value.status_code == 422
    assert stub.calls == []


# submit_answer: store outcomes mapped to HTTP codes (stub store, no network)


async def test_accepted_answer_reaches_store() -> None:
    stub = StubStore(AnswerOutcome.ACCEPTED)
    await submit_answer(_store(stub), _record(MULTI), "req-m", ["a", "b"], max_bytes=1000)
    assert stub.calls == [(JOB, "req-m", ["a", "b"])]


@pytest.mark.parametrize(
    ("outcome", "code"), [(AnswerOutcome.MISSING, 404), (AnswerOutcome.NOT_PENDING, 409)]
)
async def test_store_outcome_codes(outcome: AnswerOutcome, code: int) -> None:
    stub = StubStore(outcome)
    with pytest.raises(AnswerRejected) as info:
        await submit_answer(_store(stub), _record(TEXT), "req-t", "Ana", max_bytes=1000)
    assert info.value.status_code == code
    assert len(stub.calls) == 1


async def test_password_answers_are_delivered_as_secrets() -> None:
    password = TextInput(job_id=JOB, request_id="req-p", prompt="Token?", password=True)
    stub = StubStore()
    await submit_answer(_store(stub), _record(password), "req-p", "hunter2", max_bytes=100)
    assert stub.calls == [(JOB, "req-p", "hunter2")] and stub.secret is True
    await submit_answer(_store(stub), _record(TEXT), "req-t", "Ada", max_bytes=100)
    assert stub.secret is False


# exactly one answer, assignees, approvals


async def test_a_taken_request_is_409_naming_who_took_it() -> None:
    stub = StubStore(AnswerOutcome.NOT_PENDING, TakenAnswer("bob", "human", "k1"))
    with pytest.raises(AnswerRejected) as info:
        await submit_answer(_store(stub), _record(TEXT), "req-t", "Ana", max_bytes=1000)
    assert info.value.status_code == 409 and "by bob" in info.value.detail


async def test_the_winners_retry_with_its_key_is_a_repeat() -> None:
    stub = StubStore(AnswerOutcome.NOT_PENDING, TakenAnswer("u1", "human", "k1"))
    record = _record(None, status=JobStatus.RUNNING)
    answered = await submit_answer(
        _store(stub), record, "req-t", "Ana", 1000, user="u1", idempotency_key="k1"
    )
    assert answered.repeated and stub.calls == []
    with pytest.raises(AnswerRejected) as info:  # another key: not the same answer
        await submit_answer(
            _store(stub), record, "req-t", "Ana", 1000, user="u1", idempotency_key="k2"
        )
    assert info.value.status_code == 409


async def test_an_assignee_answers_only_what_is_addressed_to_them() -> None:
    theirs = TextInput(job_id=JOB, request_id="req-b", prompt="Budget?", assignee=["bob"])
    stub = StubStore()
    await submit_answer(_store(stub), _record(theirs), "req-b", "ok", 1000, user="bob")
    assert stub.by == "bob"
    with pytest.raises(AnswerRejected) as info:
        await submit_answer(_store(stub), _record(TEXT), "req-t", "ok", 1000, user="bob")
    assert info.value.status_code == 403


APPROVAL = ToolApproval(
    job_id=JOB,
    request_id="req-a",
    tool="book",
    arguments={"nights": 2},
    arguments_schema={
        "type": "object",
        "properties": {"nights": {"type": "integer"}},
        "required": ["nights"],
        "additionalProperties": False,
    },
)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"decision": "edit", "arguments": {"nights": "many"}}, "arguments.nights"),
        ({"decision": "edit", "arguments": {}}, "nights"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "edit"}, "arguments"),
        ("yes", "decision"),
    ],
)
def test_approval_answers_that_do_not_fit_are_named(value: Any, named: str) -> None:
    with pytest.raises(AnswerRejected) as info:
        check_value(APPROVAL, value)
    assert info.value.status_code == 422 and named in info.value.detail


@pytest.mark.parametrize(
    "value",
    [
        {"decision": "approve"},
        {"decision": "reject", "reason": "no"},
        {"decision": "edit", "arguments": {"nights": 3}},
    ],
)
def test_approval_decisions_fit(value: Any) -> None:
    check_value(APPROVAL, value)
