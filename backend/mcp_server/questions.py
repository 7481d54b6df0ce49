"""A job's pending question as an MCP elicitation, and the answer the client sends back.

On protocol 2026-07-28 a tool call that needs a human answer returns ``InputRequiredResult``
(multi-round trip, SEP-2322): the elicitation request plus a ``request_state`` naming the
job, the request and the question's place in the log. The client asks its user and calls
the tool again with the response and the state, on any API process: nothing is kept in
memory between the two calls. The state is plain JSON, not sealed: it only points at a
job, and every use is checked against the caller's own jobs and the job's pending request.
"""

from __future__ import annotations

from typing import Any

from mcp.types import ElicitRequest, ElicitRequestFormParams, ElicitResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, ValidationError

from agentjobs.protocol import AnswerValue, InputRequest, MultipleChoice, TextInput
from backend.mcp_server.caller import Ctx
from backend.mcp_server.transcript import question_text

ANSWER_FIELD = "answer"
"""The one field of the form a text or choice question is elicited with."""


class ToolRefused(Exception):
    """The tool call cannot go on; the message is the tool error the client sees."""


class ElicitState(BaseModel):
    """What a ``request_state`` carries from an elicitation to the call that answers it."""

    job_id: str
    request_id: str
    after: str
    """The question's event id: the call that answers it follows the job from there."""

    def encode(self) -> str:
        """The state as the opaque string the client echoes."""
        return self.model_dump_json()

    @classmethod
    def decode(cls, text: str) -> ElicitState:
        """Parse an echoed state; raises ``ToolRefused`` when it is not one of ours."""
        try:
            return cls.model_validate_json(text)
        except ValidationError:
            raise ToolRefused("invalid requestState: call the tool again without it") from None


def can_elicit(ctx: Ctx, request: InputRequest) -> bool:
    """True when the client declared elicitation on a protocol that carries it statelessly,
    and the request is a question a form can ask.

    Passwords are never elicited (form elicitation must not collect secrets, says the spec),
    nor requests other than text and choices: those go through ``answer_request``.
    """
    if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
        return False  # 2025 clients would need a session pinned to one API process
    capabilities = ctx.session.client_capabilities
    if capabilities is None or capabilities.elicitation is None:
        return False
    if isinstance(request, TextInput):
        return not request.password
    return isinstance(request, MultipleChoice)


def _answer_schema(request: TextInput | MultipleChoice) -> dict[str, Any]:
    """The form's JSON schema: one ``answer`` field, text or choices."""
    field: dict[str, Any] = {"type": "string", "title": "Answer"}
    if isinstance(request, TextInput):
        if request.suggestions:
            field["description"] = "Suggestions: " + ", ".join(request.suggestions)
    elif request.single:
        field["enum"] = list(request.choices)
    else:
        choices = {"type": "string", "enum": list(request.choices)}
        field = {"type": "array", "title": "Answer", "items": choices}
    default = getattr(request, "default", None)  # not every version of the events has one
    if default is not None:
        field["default"] = default
    return {"type": "object", "properties": {ANSWER_FIELD: field}, "required": [ANSWER_FIELD]}


def elicitation(request: TextInput | MultipleChoice) -> ElicitRequest:
    """The form elicitation asking the request's question."""
    params = ElicitRequestFormParams(
        message=question_text(request), requested_schema=_answer_schema(request)
    )
    return ElicitRequest(params=params)


def answer_from(result: ElicitResult, request: InputRequest) -> AnswerValue:
    """The job's answer in an accepted elicitation; raises ``ToolRefused`` when it has none."""
    value = (result.content or {}).get(ANSWER_FIELD)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and isinstance(request, MultipleChoice):
        return [str(item) for item in value]
    raise ToolRefused(f"the elicitation response has no {ANSWER_FIELD!r} text or choices")
