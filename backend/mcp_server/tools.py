"""MCP tools: one per workflow of the live catalog, plus ``answer_request`` and ``get_job``.

Calling a workflow's tool starts an ordinary job (``backend.job_start``, as ``POST /jobs``)
and follows it to its end or its first question. ``answer_request`` answers a question as
``POST /jobs/{id}/input`` does (``backend.answers``) and follows on the same way; a call
carrying a ``request_state`` answers an elicited question with the client's response.
"""

from __future__ import annotations

from typing import Any, TypeVar

from mcp.types import (
    CallToolRequestParams,
    CallToolResult,
    ElicitResult,
    InputRequiredResult,
    ListToolsResult,
    PaginatedRequestParams,
    Tool,
)
from pydantic import BaseModel, Field, ValidationError
from redis.exceptions import RedisError

from agentjobs.logging_setup import bind_job
from agentjobs.protocol import START, AnswerValue, JobRecord
from backend.answers import AnswerRejected, submit_answer
from backend.job_outcomes import CancelOutcome
from backend.job_start import StartRefused, start_job
from backend.mcp_server.caller import Ctx, caller
from backend.mcp_server.questions import ElicitState, ToolRefused, answer_from
from backend.mcp_server.runs import ANSWER_TOOL, GET_TOOL, follow, outcome, settle, text_result
from backend.services import Services


class AnswerArgs(BaseModel):
    """``answer_request``'s arguments."""

    job_id: str = Field(description="The job that asked (from the tool result that showed it)")
    request_id: str = Field(description="The pending request's id")
    value: AnswerValue = Field(
        description="The answer: a text, one choice, or a list of choices (as the question "
        "in the job's pending request asks)"
    )


class JobArgs(BaseModel):
    """``get_job``'s arguments."""

    job_id: str = Field(description="The job's id")


_Args = TypeVar("_Args", bound=BaseModel)

_CONTROL_TOOLS = [
    Tool(
        name=ANSWER_TOOL,
        description="Answer a job's pending question, then wait for its next question or its "
        "end, and return that (as a workflow's own tool does)",
        input_schema=AnswerArgs.model_json_schema(),
    ),
    Tool(
        name=GET_TOOL,
        description="A job's status, and its result or the question it waits on (no waiting)",
        input_schema=JobArgs.model_json_schema(),
    ),
]
_RESERVED = {tool.name for tool in _CONTROL_TOOLS}


async def list_tools(ctx: Ctx, _params: PaginatedRequestParams | None) -> ListToolsResult:
    """The workflows of the live catalog as tools (a workflow named like a control tool is
    left out), then the control tools."""
    services, _user = caller(ctx)
    catalog = await services.store.catalog(services.settings.worker_seen_seconds)
    tools = [
        Tool(name=info.name, description=info.description, input_schema=info.params_schema)
        for info in catalog
        if info.name not in _RESERVED
    ]
    return ListToolsResult(tools=tools + _CONTROL_TOOLS)


async def call_tool(
    ctx: Ctx, params: CallToolRequestParams
) -> CallToolResult | InputRequiredResult:
    """Run the tool; refusals and an unreachable job store are tool errors the model can read."""
    services, user = caller(ctx)
    arguments = params.arguments or {}
    try:
        if params.request_state is not None:
            return await _answer_elicited(ctx, services, user, params)
        if params.name == ANSWER_TOOL:
            return await _answer_request(ctx, services, user, _parse(AnswerArgs, arguments))
        if params.name == GET_TOOL:
            return outcome(await _job(services, user, _parse(JobArgs, arguments).job_id))
        return await _start(ctx, services, user, params.name, arguments)
    except ToolRefused as exc:
        return text_result(str(exc), error=True)
    except RedisError as exc:
        return text_result(f"the job store is unavailable ({exc}): try again shortly", error=True)


def _parse(model: type[_Args], arguments: dict[str, Any]) -> _Args:
    try:
        return model.model_validate(arguments)
    except ValidationError as exc:
        raise ToolRefused(f"bad arguments: {_problems(exc.errors())}") from None


def _problems(errors: Any) -> str:
    """FastAPI/pydantic-style error items as one line: ``where: what; ...``."""
    if isinstance(errors, str):
        return errors
    parts = []
    for item in errors:
        where = ".".join(str(p) for p in item.get("loc", ()) if p not in ("body", "params"))
        parts.append(f"{where or 'arguments'}: {item.get('msg', '')}")
    return "; ".join(parts)


async def _job(services: Services, user: str, job_id: str) -> JobRecord:
    """The caller's job; another user's is "not found" too, as on the API."""
    record = await services.store.get(job_id)
    if record is None or record.user != user:
        raise ToolRefused(f"job {job_id!r} not found")
    return record


async def _start(
    ctx: Ctx, services: Services, user: str, workflow: str, arguments: dict[str, Any]
) -> CallToolResult | InputRequiredResult:
    try:
        job_id, _info = await start_job(services, user, workflow, arguments)
    except StartRefused as exc:
        if exc.status_code == 404:
            raise ToolRefused(f"unknown tool {workflow!r}: no such workflow") from None
        if exc.status_code == 422:
            raise ToolRefused(f"arguments do not fit {workflow}: {_problems(exc.detail)}") from None
        raise ToolRefused(f"{workflow} was not started: {_problems(exc.detail)}") from None
    bind_job(job_id=job_id, workflow=workflow, user=user)
    record = await _job(services, user, job_id)
    return settle(ctx, await follow(ctx, services, record, START), job_id)


async def _answer(services: Services, record: JobRecord, request_id: str, value: Any) -> None:
    try:
        await submit_answer(
            services.store, record, request_id, value, services.settings.max_answer_bytes
        )
    except AnswerRejected as exc:
        raise ToolRefused(f"answer refused ({exc.status_code}): {exc.detail}") from None


async def _answer_request(
    ctx: Ctx, services: Services, user: str, args: AnswerArgs
) -> CallToolResult | InputRequiredResult:
    record = await _job(services, user, args.job_id)
    pending = record.pending
    await _answer(services, record, args.request_id, args.value)
    assert pending is not None  # submit_answer accepts only the pending request's answer
    return settle(ctx, await follow(ctx, services, record, pending.id), record.job_id)


async def _answer_elicited(
    ctx: Ctx, services: Services, user: str, params: CallToolRequestParams
) -> CallToolResult | InputRequiredResult:
    """The retry of a call that elicited: deliver the response, then follow on.

    ``accept`` answers the request; ``decline`` cancels the job; ``cancel`` (dismissed)
    leaves it waiting and returns the question, for ``answer_request`` or another client.
    A retry whose answer was already taken (the response stream dropped) just follows on.
    """
    assert params.request_state is not None
    state = ElicitState.decode(params.request_state)
    record = await _job(services, user, state.job_id)
    response = (params.input_responses or {}).get(state.request_id)
    pending = record.pending
    if isinstance(response, ElicitResult) and pending and pending.request_id == state.request_id:
        if response.action == "accept":
            await _answer(services, record, state.request_id, answer_from(response, pending))
        elif response.action == "decline":
            cancelled = await services.store.cancel(record.job_id, by=user, record=record)
            if cancelled is CancelOutcome.MISSING:
                raise ToolRefused(f"job {record.job_id!r} not found")
        else:
            return outcome(record, pending)
    end = await follow(ctx, services, record, state.after)
    return settle(ctx, end, record.job_id)
