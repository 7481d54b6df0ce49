"""``JobUI``: the handle a workflow uses to talk to the humans and clients watching its job.

Every outside result a workflow gets (human answers, model completions through
``agentjobs.agentchat.journaled``, tool results through ``ui.tool``, the clock and random numbers
through ``ui.now``/``ui.random``) passes through its journal, so a run can be replayed.
"""

from __future__ import annotations

import random as _random
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from agentjobs.approvals import DefaultDecision
from agentjobs.protocol import (
    AnswerValue,
    ErrorEvent,
    InputRequest,
    MultipleChoice,
    Progress,
    StreamChunk,
    TextInput,
    TextMessage,
    ToolCall,
    ToolResult,
)
from agentjobs.replay import Journal
from agentjobs.requests import Assignee, assignee_list, deadline_after, default_value
from agentjobs.sink import EmitKind as EmitKind
from agentjobs.sink import EventSink as EventSink
from agentjobs.sink import InputTimeout as InputTimeout
from agentjobs.tools import ApprovalGate, journaled_tool
from agentjobs.tools import ToolInterrupted as ToolInterrupted

if TYPE_CHECKING:
    from autogen_agentchat.base import ChatAgent, TaskResult, Team

P = ParamSpec("P")
R = TypeVar("R")
_REQUEST_NAMESPACE = uuid.UUID("6f1c2f7e-3d5b-4c84-9a62-0f4e8f0b7a11")


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
        journal: Journal | None = None,
    ) -> None:
        self._sink = sink
        self.journal = journal or Journal([], sink)
        """Replays recorded outside results, then records new ones."""
        self.stopped_by: BaseException | None = None
        """Set when a wait ends the run for a reason of the job's own (suspended, lost), so the
        runner can tell even when agent code wraps the exception."""
        self._asks = 0
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

    async def notice(self, content: str) -> None:
        """Report a passing state of the job (``waiting for model capacity``) as a ``progress``
        event that depends on timing, not on the workflow: a replay does not emit it again."""
        await self._sink.emit(Progress(job_id=self.job_id, content=content), "notice")

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
        default: str | None = None,
        assignee: Assignee = None,
        on_asked: Callable[[], object] | None = None,
    ) -> str:
        """Ask the human for a typed answer and wait for it; at ``timeout`` (else the
        workflow's ``input_timeout``) ``default`` is the answer, or the job fails without one.
        ``assignee``: the user(s) whose question it is (default: the job's owner).
        ``on_asked`` is called once the question is logged, before the wait: the agentchat
        bridge keeps its order with it."""
        wait = self._timeout(timeout)
        request = TextInput(
            job_id=self.job_id,
            request_id=self.next_request_id(prompt),
            prompt=prompt,
            sender=sender,
            suggestions=list(suggestions),
            password=password,
            default=default,
            assignee=assignee_list(assignee),
            deadline=deadline_after(wait),
        )
        answer = await self.ask(request, wait, on_asked)
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
        assignee: Assignee = None,
    ) -> str | list[str]:
        """Ask the human to pick one of ``choices`` (a list of them when ``single`` is false).

        ``default`` is offered first, and is the answer at ``timeout`` (else the workflow's
        ``input_timeout``); ``assignee`` as for ``text_input``."""
        if not choices:
            raise ValueError("multiple_choice needs at least one choice")
        if default is not None and default not in choices:
            raise ValueError(f"default {default!r} is not one of the choices")
        wait = self._timeout(timeout)
        request = MultipleChoice(
            job_id=self.job_id,
            request_id=self.next_request_id(prompt),
            prompt=prompt,
            sender=sender,
            choices=list(choices),
            default=default,
            single=single,
            assignee=assignee_list(assignee),
            deadline=deadline_after(wait),
        )
        answer = await self.ask(request, wait)
        return answer if isinstance(answer, str) else list(answer)

    async def run_team(
        self, team: Team, task: str, *, prompts: Mapping[str, str] | None = None
    ) -> TaskResult:
        """Run an autogen-agentchat team, relaying all it does; its ``UserProxyAgent``s ask the
        job's human (``prompts``: a question per proxy name, see ``agentchat.bridge``)."""
        from agentjobs.agentchat.bridge import run_team

        return await run_team(self, team, task, prompts=prompts)

    async def run_agent(self, agent: ChatAgent, task: str) -> TaskResult:
        """Run one autogen-agentchat agent, relaying everything it produces."""
        from agentjobs.agentchat.bridge import run_agent

        return await run_agent(self, agent, task)

    def now(self) -> datetime:
        """The current time, journaled: a replay sees the time the first run saw."""
        return datetime.fromisoformat(
            self.journal.value("clock", lambda: datetime.now(UTC).isoformat())
        )

    def random(self) -> float:
        """A random float in [0, 1), journaled: a replay gets the same number."""
        return float(self.journal.value("random", _random.random))

    def patched(self, change_id: str) -> bool:
        """True in runs that reach this point after the change ``change_id`` shipped, False
        when replaying a job recorded before it (Temporal's ``patched``): ``if
        ui.patched("ask-city"): <new code> else: <old code>`` lets a changed workflow finish
        old jobs on new workers. Journaled; remove the old branch once no old job is left."""
        return self.journal.patched(change_id)

    def tool(
        self,
        func: Callable[P, R] | Callable[P, Awaitable[R]],
        *,
        idempotent: bool = False,
        approval: bool = False,
        reason: str | None = None,
        sender: str = "workflow",
        timeout: float | None = None,
        default: DefaultDecision | None = None,
        assignee: Assignee = None,
    ) -> Callable[P, Awaitable[R]]:
        """Wrap a tool so its result is journaled: a replay returns it without running it again.

        A tool that started in an earlier attempt but has no recorded result (the worker died
        mid-call) fails the job, unless ``idempotent`` says running it twice is harmless.

        With ``approval``, each call first asks a human (a ``tool_approval`` with the arguments,
        ``reason`` and ``sender``, for ``assignee``): approved or edited, it runs (with the
        edited arguments); rejected, the agent gets a refusal instead. ``timeout``/``default``
        (``"approve"``, ``"reject"`` or a decision) as for ``text_input``. Journaled: a replay
        does not ask again (``agentjobs.tools``).
        """
        gate = ApprovalGate(func, sender, reason, timeout, default, assignee) if approval else None
        return journaled_tool(self, func, idempotent=idempotent, gate=gate)

    def _timeout(self, timeout: float | None) -> float | None:
        return timeout if timeout is not None else self.input_timeout

    def next_request_id(self, prompt: str) -> str:
        """The id of the next request (deterministic, so a replayed question has the id the
        human answered)."""
        self._asks += 1
        return uuid.uuid5(_REQUEST_NAMESPACE, f"{self.job_id}/{self._asks}/{prompt}").hex

    async def ask(
        self,
        request: InputRequest,
        timeout: float | None,
        on_asked: Callable[[], object] | None = None,
    ) -> AnswerValue:
        """Log ``request`` and wait up to ``timeout`` s for its answer (the journaled one when
        replaying); at the deadline its default answers it, or ``InputTimeout`` is raised."""
        await self.journal.flush()
        await self._sink.emit(request, "request")
        if on_asked is not None:
            on_asked()
        recorded = self.journal.take("answer", request.request_id)
        if recorded is not None:
            answer: AnswerValue = recorded.value
            return answer
        try:
            try:
                value = await self._sink.wait_reply(request.request_id, timeout)
            except InputTimeout as timeout_exc:
                default = default_value(request)
                if default is None or not timeout_exc.deadline_passed:
                    raise
                value = await self._sink.apply_default(request, default)
        except BaseException as exc:
            self.stopped_by = exc
            raise
        self.journal.note_external("answer", request.request_id, value)
        return value


CURRENT_UI: ContextVar[JobUI | None] = ContextVar("agentjobs_current_ui", default=None)
"""The ``JobUI`` of the run in progress, so model clients built inside it are journaled."""
