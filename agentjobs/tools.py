"""``JobUI.tool``'s wrapper: a tool's call journaled, and (with ``approval``) decided by a human
before it runs.

The decision is a journaled answer like any other, and the tool's start and result are
journaled after it, so a replay neither asks again nor runs the tool other than decided.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from agentjobs.approvals import (
    DefaultDecision,
    arguments_model,
    bound_arguments,
    decision_of,
    default_decision,
    edited_arguments,
    refusal,
)
from agentjobs.protocol import ToolApproval
from agentjobs.replay import fingerprint
from agentjobs.requests import Assignee, assignee_list, deadline_after

if TYPE_CHECKING:
    from agentjobs.ui import JobUI

P = ParamSpec("P")
R = TypeVar("R")


class ToolInterrupted(Exception):
    """A tool started in an earlier attempt and has no recorded result; it is not idempotent."""


class ApprovalGate:
    """How one approval-guarded tool asks: who decides, why, and until when."""

    def __init__(
        self,
        func: Callable[..., Any],
        sender: str,
        reason: str | None,
        timeout: float | None,
        default: DefaultDecision | None,
        assignee: Assignee,
    ) -> None:
        self.func = func
        self.model = arguments_model(func)
        self.schema = self.model.model_json_schema()
        self.sender = sender
        self.reason = reason
        self.timeout = timeout
        self.default = default_decision(default)
        self.assignee = assignee_list(assignee)

    async def decide(
        self, ui: JobUI, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None]:
        """Ask for a decision on this call: the arguments to run it with, or a refusal."""
        arguments = bound_arguments(self.func, args, kwargs)
        name = self.func.__name__
        wait = self.timeout if self.timeout is not None else ui.input_timeout
        request = ToolApproval(
            job_id=ui.job_id,
            request_id=ui.next_request_id(f"approve {name}"),
            sender=self.sender,
            tool=name,
            arguments=arguments,
            arguments_schema=self.schema,
            reason=self.reason,
            default=self.default,
            assignee=self.assignee,
            deadline=deadline_after(wait),
        )
        decision = decision_of(await ui.ask(request, wait))
        if decision.decision == "reject":
            return arguments, refusal(name, decision)
        if decision.decision == "edit" and decision.arguments is not None:
            return edited_arguments(self.model, decision.arguments), None
        return arguments, None


def journaled_tool(
    ui: JobUI,
    func: Callable[P, R] | Callable[P, Awaitable[R]],
    *,
    idempotent: bool,
    gate: ApprovalGate | None,
) -> Callable[P, Awaitable[R]]:
    """``func`` wrapped so its result is journaled, asking ``gate`` first when there is one."""

    @functools.wraps(func)
    async def journaled(*args: P.args, **kwargs: P.kwargs) -> R:
        await ui.journal.flush()
        if gate is not None:
            arguments, refused = await gate.decide(ui, args, kwargs)
            if refused is not None:
                return refused  # type: ignore[return-value]
            args, kwargs = (), arguments  # type: ignore[assignment]
        fp = fingerprint(func.__qualname__, args, kwargs)
        if ui.journal.take("tool_started", fp) is not None:
            done = ui.journal.take("tool", fp)
            if done is not None:
                return done.value  # type: ignore[no-any-return]
            if not idempotent:
                raise ToolInterrupted(
                    f"tool {func.__qualname__} started before a crash and left no result;"
                    " it is not marked idempotent, so it is not run again"
                )
        else:
            await ui.journal.record("tool_started", fp, None)
        result = func(*args, **kwargs)
        value = await result if inspect.isawaitable(result) else result
        await ui.journal.record("tool", fp, value)
        return value

    # Agent frameworks resolve the wrapper's annotations in this module's globals (autogen's
    # FunctionTool does): give them resolved, or the string annotations of a tool module
    # with ``from __future__ import annotations`` would name types unknown here.
    with contextlib.suppress(NameError, TypeError):
        journaled.__annotations__ = typing.get_type_hints(func, include_extras=True)
    return journaled
