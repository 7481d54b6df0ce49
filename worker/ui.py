"""``JobUI``: the handle a workflow uses to talk to the humans and clients watching its job.

Every outside result a workflow gets (a human answer, and later model completions and tool
results) passes through here, which is what makes a journal and replay possible later.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol

from backend.protocol import (
    AnswerValue,
    ErrorEvent,
    Event,
    MultipleChoice,
    Progress,
    StreamChunk,
    TextInput,
    TextMessage,
    ToolCall,
    ToolResult,
)

if TYPE_CHECKING:
    from autogen_agentchat.base import ChatAgent, TaskResult, Team


EmitKind = Literal["plain", "request"]


class EventSink(Protocol):
    """Where a ``JobUI`` sends events and gets answers (Redis in a worker, memory in tests)."""

    async def emit(self, event: Event, kind: EmitKind = "plain") -> str:
        """Append ``event`` to the job's log and publish it; returns its cursor."""
        ...

    async def wait_reply(self, request_id: str, timeout: float | None) -> AnswerValue:
        """Block until the answer to ``request_id`` arrives; raises ``InputTimeout``."""
        ...


class InputTimeout(Exception):
    """Nobody answered an input request in time."""

    def __init__(self, request_id: str, timeout: float) -> None:
        super().__init__(f"no answer to input request {request_id} within {timeout:g} s")
        self.request_id = request_id
        self.timeout = timeout


class JobUI:
    """What a running workflow can do: say things, ask things, report progress, run agents."""

    def __init__(
        self,
        sink: EventSink,
        *,
        job_id: str,
        user: str,
        workflow: str,
        input_timeout: float | None = None,
    ) -> None:
        self._sink = sink
        self.job_id = job_id
        self.user = user
        """The id of the user who started the job."""
        self.workflow = workflow
        self.input_timeout = input_timeout
        """Default time to wait for a human answer, in seconds (None waits forever)."""

    async def text_message(
        self, content: str, *, sender: str = "workflow", recipient: str | None = None
    ) -> None:
        """Show a message from ``sender`` to everyone watching the job."""
        await self._sink.emit(
            TextMessage(job_id=self.job_id, sender=sender, recipient=recipient, content=content)
        )

    async def stream_chunk(self, content: str, *, sender: str) -> None:
        """Show a partial chunk of a message ``sender`` is still generating."""
        await self._sink.emit(StreamChunk(job_id=self.job_id, sender=sender, content=content))

    async def tool_call(
        self, *, sender: str, call_id: str, function_name: str, arguments: str
    ) -> None:
        """Report that ``sender`` asked to call a tool."""
        await self._sink.emit(
            ToolCall(
                job_id=self.job_id,
                sender=sender,
                call_id=call_id,
                function_name=function_name,
                arguments=arguments,
            )
        )

    async def tool_result(
        self, *, sender: str, call_id: str, function_name: str, content: str, is_error: bool
    ) -> None:
        """Report a tool's result."""
        await self._sink.emit(
            ToolResult(
                job_id=self.job_id,
                sender=sender,
                call_id=call_id,
                function_name=function_name,
                content=content,
                is_error=is_error,
            )
        )

    async def progress(self, content: str, fraction: float | None = None) -> None:
        """Report the workflow's own progress (``fraction`` between 0 and 1, if known)."""
        await self._sink.emit(Progress(job_id=self.job_id, content=content, fraction=fraction))

    async def error(self, short: str, long: str = "") -> None:
        """Report a problem the workflow recovers from (a failure ends the job instead)."""
        await self._sink.emit(ErrorEvent(job_id=self.job_id, short=short, long=long))

    async def text_input(
        self,
        prompt: str,
        *,
        sender: str = "workflow",
        suggestions: Sequence[str] = (),
        password: bool = False,
        timeout: float | None = None,
    ) -> str:
        """Ask the human for a typed answer and wait for it."""
        request = TextInput(
            job_id=self.job_id,
            request_id=_new_request_id(),
            prompt=prompt,
            sender=sender,
            suggestions=list(suggestions),
            password=password,
        )
        answer = await self._ask(request, timeout)
        return answer if isinstance(answer, str) else ", ".join(answer)

    async def multiple_choice(
        self,
        prompt: str,
        choices: Sequence[str],
        *,
        sender: str = "workflow",
        default: str | None = None,
        single: bool = True,
        timeout: float | None = None,
    ) -> AnswerValue:
        """Ask the human to pick one of ``choices`` (a list of them when ``single`` is false)."""
        if not choices:
            raise ValueError("multiple_choice needs at least one choice")
        if default is not None and default not in choices:
            raise ValueError(f"default {default!r} is not one of the choices")
        request = MultipleChoice(
            job_id=self.job_id,
            request_id=_new_request_id(),
            prompt=prompt,
            sender=sender,
            choices=list(choices),
            default=default,
            single=single,
        )
        return await self._ask(request, timeout)

    async def run_team(self, team: Team, task: str) -> TaskResult:
        """Run an autogen-agentchat team, relaying every message, tool call and chunk."""
        from worker.agentchat.bridge import run_team

        return await run_team(self, team, task)

    async def run_agent(self, agent: ChatAgent, task: str) -> TaskResult:
        """Run one autogen-agentchat agent, relaying everything it produces."""
        from worker.agentchat.bridge import run_agent

        return await run_agent(self, agent, task)

    async def _ask(self, request: TextInput | MultipleChoice, timeout: float | None) -> AnswerValue:
        await self._sink.emit(request, "request")
        wait = timeout if timeout is not None else self.input_timeout
        return await self._sink.wait_reply(request.request_id, wait)


def _new_request_id() -> str:
    return uuid.uuid4().hex
