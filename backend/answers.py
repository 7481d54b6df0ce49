"""Checking and delivering a human answer to a pending request (HTTP and WebSocket alike).

Exactly one answer wins a request: the answer script takes the first and tells the others who
took it (409); the winner sending the same answer again with the same ``Idempotency-Key`` is
told it won (``Answered.repeated``), so a retry after a lost reply is safe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from agentjobs.approvals import arguments_problem, decision_of
from agentjobs.protocol import (
    AnswerValue,
    InputRequest,
    JobRecord,
    TextInput,
    ToolApproval,
    answer_problem,
)
from agentjobs.requests import default_value
from backend import metrics
from backend.access import may_answer
from backend.job_outcomes import AnswerOutcome
from backend.store import JobStore


class AnswerRejected(Exception):
    """The answer cannot be accepted; ``status_code`` says why in HTTP terms."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


@dataclass(frozen=True)
class Answered:
    """An accepted answer: taken now, or (``repeated``) by the same caller's earlier try."""

    repeated: bool = False


def check_value(request: InputRequest, value: AnswerValue) -> None:
    """Raise ``AnswerRejected`` (422) when ``value`` does not fit the request (for a tool
    approval's edit: when the arguments do not fit the tool's schema, naming the field)."""
    problem = answer_problem(request, value)
    if problem is None and isinstance(request, ToolApproval):
        decision = decision_of(value)
        if decision.arguments is not None:
            problem = arguments_problem(request.arguments_schema, decision.arguments)
    if problem is not None:
        raise AnswerRejected(422, problem)


async def submit_answer(
    store: JobStore,
    record: JobRecord,
    request_id: str,
    value: AnswerValue,
    max_bytes: int,
    *,
    user: str | None = None,
    idempotency_key: str = "",
) -> Answered:
    """Deliver ``user``'s answer (None: the job's owner) to the job's pending request, or raise
    ``AnswerRejected``: 413 too large, 403 not addressed to ``user``, 409 not pending (naming
    who took it), 422 not fitting the request."""
    if len(json.dumps(value)) > max_bytes:
        raise AnswerRejected(413, f"the answer is larger than {max_bytes} bytes")
    by = user or record.user
    pending = record.pending
    if pending is None or pending.request_id != request_id:
        return await _already_taken(store, record, request_id, by, idempotency_key)
    if not may_answer(record, pending, by):
        raise AnswerRejected(403, f"request {request_id!r} is not addressed to you")
    check_value(pending, value)
    secret = isinstance(pending, TextInput) and pending.password
    outcome = await store.answer(
        record.job_id, request_id, value, secret=secret, by=by, idempotency_key=idempotency_key
    )
    if outcome is AnswerOutcome.MISSING:
        raise AnswerRejected(404, f"job {record.job_id!r} not found")
    if outcome is AnswerOutcome.REPEATED:
        return Answered(repeated=True)
    if outcome is AnswerOutcome.NOT_PENDING:
        return await _already_taken(store, record, request_id, by, idempotency_key)
    metrics.input_answered(record.workflow, pending.ts)
    return Answered()


async def _already_taken(
    store: JobStore, record: JobRecord, request_id: str, by: str, idempotency_key: str
) -> Answered:
    """The request is not pending: the same caller's repeat of the answer that took it is
    ``repeated``; anything else is a 409 naming who took it."""
    prior = await store.answered(record.job_id, request_id)
    if prior is None:
        raise AnswerRejected(
            409, f"request {request_id!r} is not pending (job {record.job_id} is {record.status})"
        )
    if idempotency_key and prior.key == idempotency_key and prior.by == by:
        return Answered(repeated=True)
    raise AnswerRejected(409, f"request {request_id!r} was answered already {prior.described}")


async def apply_deadline_default(store: JobStore, job_id: str) -> bool:
    """The pending request of a suspended job reached its deadline: answer it with its default
    (an ``input_received`` from the deadline; the job is requeued like after any answer).
    False when it has no default (the job fails with ``input_timeout`` instead) or the request
    was taken meanwhile."""
    record = await store.get(job_id)
    pending = record.pending if record is not None else None
    value = default_value(pending) if pending is not None else None
    if pending is None or value is None:
        return False
    secret = isinstance(pending, TextInput) and pending.password
    outcome = await store.answer(
        job_id, pending.request_id, value, secret=secret, source="deadline"
    )
    return outcome is AnswerOutcome.ACCEPTED
