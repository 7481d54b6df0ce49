"""Checking and delivering a human answer to a pending request (HTTP and WebSocket alike)."""

from __future__ import annotations

import json

from agentjobs.protocol import AnswerValue, InputRequest, JobRecord, MultipleChoice, TextInput
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
    if not isinstance(request, MultipleChoice):
        if not isinstance(value, str):
            raise AnswerRejected(422, "a text_input answer must be a string")
        return
    if request.single:
        if not isinstance(value, str) or value not in request.choices:
            raise AnswerRejected(
                422, f"{value!r} is not one of the offered choices {request.choices}"
            )
        return
    if isinstance(value, str):
        raise AnswerRejected(422, "this request takes several choices: send a list")
    not_offered = [item for item in value if item not in request.choices]
    if not_offered:
        raise AnswerRejected(422, f"{not_offered} are not among the offered choices")


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
