"""Following a job for one tool call: its events as progress and log notifications, until
the job ends or waits for a human; then what the call returns.

Events are read like an AG-UI run reads them (``backend.job_follower.Follower``: the log after
a cursor, then the live relay), so a call on any API process sees every event once.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from dataclasses import dataclass
from typing import Any, cast

from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.types import CallToolResult, InputRequiredResult, LoggingLevel, TextContent
from pydantic import BaseModel

from agentjobs.protocol import (
    EVENT_ADAPTER,
    INPUT_REQUEST_TYPES,
    ErrorEvent,
    Event,
    InputReceived,
    InputRequest,
    JobRecord,
    JobStatus,
    MultipleChoice,
    TextInput,
    WorkflowFailed,
)
from backend.job_follower import Follower
from backend.mcp_server.caller import Ctx
from backend.mcp_server.questions import ElicitState, can_elicit, elicitation
from backend.mcp_server.transcript import describe, question_text
from backend.services import Services

ANSWER_TOOL = "answer_request"
GET_TOOL = "get_job"

# Logging is deprecated in protocol 2026-07-28 (SEP-2577) but still what 2025 clients show;
# the SDK keeps per-request opt-in for 2026 clients, so it is safe to call for both.
warnings.filterwarnings("ignore", category=MCPDeprecationWarning, module=__name__)


@dataclass
class RunEnd:
    """Where following a job stopped: its record then, and the question it waits on."""

    record: JobRecord | None
    asked: InputRequest | None = None
    asked_at: str = ""
    """The event id of ``asked`` (a call answering it follows the job from there)."""


class JobOutcome(BaseModel):
    """A tool call's structured result: the job, and its result or pending question."""

    job_id: str
    workflow: str
    status: JobStatus
    result: Any = None
    error: str | None = None
    pending: dict[str, Any] | None = None
    """The question the job waits on (an agentjobs input request event)."""


async def _notify(ctx: Ctx, workflow: str, event: Event, count: int) -> None:
    """One event as a progress notification and a log message (when the client wants them)."""
    line = describe(event)
    if line is None:
        return
    await ctx.session.report_progress(count, None, line)
    level: LoggingLevel = "error" if isinstance(event, ErrorEvent | WorkflowFailed) else "info"
    await ctx.session.send_log_message(
        level,
        event.model_dump(mode="json"),
        logger=f"agentjobs.{workflow}",
        related_request_id=ctx.request_id,
    )


async def follow(ctx: Ctx, services: Services, record: JobRecord, after: str) -> RunEnd:
    """Forward the job's events after ``after`` until it ends or waits on a question."""
    follower = Follower(services, record.job_id, after)
    asked: InputRequest | None = None
    asked_at = ""
    count = 0
    async with contextlib.aclosing(follower.batches()) as batches:
        async for batch in batches:
            for stored in batch:
                event = EVENT_ADAPTER.validate_json(stored.json)
                if event.type in INPUT_REQUEST_TYPES:
                    asked, asked_at = cast(InputRequest, event), stored.id
                elif (
                    isinstance(event, InputReceived)
                    and asked
                    and asked.request_id == event.request_id
                ):
                    asked = None  # answered meanwhile (another client, a deadline)
                count += 1
                await _notify(ctx, record.workflow, event, count)
            if asked is not None or follower.ended:
                break
    return RunEnd(await services.store.get(record.job_id), asked, asked_at)


def text_result(
    text: str, structured: dict[str, Any] | None = None, *, error: bool = False
) -> CallToolResult:
    """A tool result of one text (and, given, structured content)."""
    return CallToolResult(
        content=[TextContent(text=text)], structured_content=structured, is_error=error
    )


def outcome(record: JobRecord, asked: InputRequest | None = None) -> CallToolResult:
    """What a tool call returns for the job as it stands (result, failure or question)."""
    pending = asked or record.pending
    data = JobOutcome(
        job_id=record.job_id,
        workflow=record.workflow,
        status=record.status,
        result=record.result,
        error=record.error,
        pending=pending.model_dump(mode="json") if pending is not None else None,
    ).model_dump(mode="json")
    job = f"job {record.job_id} ({record.workflow})"
    if record.status is JobStatus.SUCCEEDED:
        result = record.result
        return text_result(result if isinstance(result, str) else json.dumps(result), data)
    if record.status is JobStatus.FAILED:
        return text_result(f"{job} failed ({record.reason}): {record.error}", data, error=True)
    if record.status is JobStatus.CANCELLED:
        return text_result(f"{job} was cancelled", data, error=True)
    if pending is not None:
        text = (
            f"{job} waits for an answer to request {pending.request_id}: "
            f"{question_text(pending)}\nAnswer it with the {ANSWER_TOOL} tool "
            f"(job_id={record.job_id!r}, request_id={pending.request_id!r}, value=...)."
        )
        return text_result(text, data)
    return text_result(f"{job} is {record.status}: see {GET_TOOL}", data)


def settle(ctx: Ctx, end: RunEnd, job_id: str) -> CallToolResult | InputRequiredResult:
    """The call's result where following stopped: an elicitation when the client can take
    one, else the job's outcome (its result, failure, or the question to answer)."""
    if end.record is None:
        return text_result(f"job {job_id!r} not found (deleted or expired)", error=True)
    if end.asked is not None and can_elicit(ctx, end.asked):
        assert isinstance(end.asked, TextInput | MultipleChoice)
        state = ElicitState(job_id=job_id, request_id=end.asked.request_id, after=end.asked_at)
        return InputRequiredResult(
            input_requests={end.asked.request_id: elicitation(end.asked)},
            request_state=state.encode(),
        )
    return outcome(end.record, end.asked)
