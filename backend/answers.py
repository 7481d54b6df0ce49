"""Checking and delivering a human answer to a pending request (HTTP and WebSocket alike)."""

from __future__ import annotations

import json

from agentjobs.protocol import AnswerValue, InputRequest, JobRecord, TextInput, answer_problem
from backend import metrics
from backend.store import AnswerOutcome, JobStore


class AnswerRejected(Exception):
    """The answer cannot be accepted; ``status_code`` says why in HTTP terms."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def check_value(request: InputRequest, value: AnswerValue) -> None:
    """Raise ``AnswerRejected`` (422) when ``value`` does not fit the request."""
    problem = answer_problem(request, value)
    if problem is not None:
        raise AnswerRejected(422, problem)


async def submit_answer(
    store: JobStore, record: JobRecord, request_id: str, value: AnswerValue, max_bytes: int
) -> None:
    """Deliver an answer to the job's pending request, or raise ``AnswerRejected``."""
    if len(json.dumps(value)) > max_bytes:
        raise AnswerRejected(413, f"the answer is larger than {max_bytes} bytes")
    pending = record.pending
    if pending is None or pending.request_id != request_id:
        raise AnswerRejected(
            409, f"request {request_id!r} is not pending (job {record.job_id} is {record.status})"
        )
    check_value(pending, value)
    secret = isinstance(pending, TextInput) and pending.password
    outcome = await store.answer(record.job_id, request_id, value, secret=secret)
    if outcome is AnswerOutcome.MISSING:
        raise AnswerRejected(404, f"job {record.job_id!r} not found")
    if outcome is AnswerOutcome.NOT_PENDING:
        raise AnswerRejected(409, f"request {request_id!r} was answered already")
    metrics.input_answered(record.workflow, pending.ts)
